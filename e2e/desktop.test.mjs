// The desktop helper on a real X server (Xvfb, the jwm window manager, a StatusNotifierItem tray
// host on a private D-Bus): `piket-agent desktop` is linked by a requester in Chromium, F8 opens
// the form (its screenshot is kept in artifacts/), the keyboard alone files a ticket that an admin
// then sees with the screenshot, the machine's details and the enrolled device. Then the server is
// stopped, a report is made and the helper itself is killed; both come back and the report
// arrives, once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { artifacts, here, startServer, launch, setupAdmin, signIn, createDepartment, createUser } from "./lib.mjs";

const PASSWORD = "nasi-goreng-kambing-pedas";
const agentBinary = process.env.PIKET_AGENT_BIN || join(here, "..", "target", "debug", "piket-agent");
const TOOLS = ["Xvfb", "xdotool", "jwm", "dbus-daemon", "import", "gtk-sni-tray-standalone"];

const missing = TOOLS.filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
const skip = missing.length || !existsSync(agentBinary)
  ? `needs ${[...missing, existsSync(agentBinary) ? null : agentBinary].filter(Boolean).join(", ")} (.ci/run installs them)`
  : false;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Wait until `check()` is truthy (polling), or fail with `what`. */
async function until(what, check, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A process whose stderr is collected. */
function run(cmd, args, env) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.log = "";
  child.stdout.on("data", (c) => (child.log += c.toString()));
  child.stderr.on("data", (c) => (child.log += c.toString()));
  return child;
}

test("F8 files a ticket with the screen, the machine and the device; a report made offline arrives once", { skip, timeout: 240000 }, async () => {
  mkdirSync(artifacts, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "piket-desktop-"));
  const display = `:${50 + (process.pid % 40)}`;
  const x = { DISPLAY: display };
  const children = [];
  let server = await startServer();
  const browser = await launch();
  try {
    // The desk: an admin, a requester, and this PC enrolled with a token.
    const admin = await browser.newPage({ locale: "en-US" });
    await setupAdmin(admin, server, "Siti Admin", "siti@example.com", PASSWORD);
    await createDepartment(admin, server.base, "IT");
    await createUser(admin, server.base, { email: "rina@example.com", name: "Rina Requester", role: "Requester", department: "IT", password: PASSWORD });
    await admin.goto(`${server.base}/admin/inventory/agents`);
    await admin.fill("#f-name", "Desk PCs");
    await admin.click("#token-form button[type=submit]");
    const token = (await admin.textContent("#new-token")).trim();
    const agentConfig = join(work, "agent", "config.toml");
    const enroll = spawnSync(agentBinary, ["--config", agentConfig, "enroll", "--server", server.base, "--token", token], { encoding: "utf8" });
    assert.equal(enroll.status, 0, enroll.stderr);
    const hostname = readFileSync("/proc/sys/kernel/hostname", "utf8").trim();

    // The session: X, a window manager, a session bus with a tray host.
    children.push(run("Xvfb", [display, "-screen", "0", "1366x800x24", "-nolisten", "tcp"]));
    await until("Xvfb", () => existsSync(`/tmp/.X11-unix/X${display.slice(1)}`));
    children.push(run("jwm", [], x));
    const bus = spawnSync("dbus-daemon", ["--session", "--fork", "--print-address=1", "--print-pid=1"], { encoding: "utf8" });
    assert.equal(bus.status, 0, bus.stderr);
    const [busAddress, busPid] = bus.stdout.trim().split("\n");
    const session = { ...x, DBUS_SESSION_BUS_ADDRESS: busAddress };
    children.push(run("gtk-sni-tray-standalone", ["--watcher", "--bottom"], session));
    await sleep(1500);

    // The helper: the browser it would open is a script that notes the address.
    const opened = join(work, "opened.txt");
    const browserScript = join(work, "browser.sh");
    writeFileSync(browserScript, `#!/bin/sh\necho "$1" >> ${opened}\n`);
    chmodSync(browserScript, 0o755);
    const helperEnv = {
      ...session,
      PIKET_DESKTOP_DIR: join(work, "desktop"),
      PIKET_DESKTOP_BROWSER: browserScript,
      PIKET_DESKTOP_RETRY_SECONDS: "1",
      PIKET_AGENT_CONFIG: agentConfig,
      PIKET_LANG: "en",
    };
    const startHelper = () => {
      const h = run(agentBinary, ["desktop", "--server", server.base], helperEnv);
      children.push(h);
      return h;
    };
    let helper = startHelper();
    const url = await until("the link page", () => existsSync(opened) && readFileSync(opened, "utf8").trim());
    const code = helper.log.match(/code ([A-Z0-9]{4}-[A-Z0-9]{4})/)[1];
    assert.doesNotMatch(helper.log, /No tray host/, helper.log);

    // Rina confirms in her browser, after checking the code.
    const rina = await browser.newPage({ locale: "en-US" });
    await signIn(rina, server, "rina@example.com", PASSWORD);
    await rina.goto(url);
    // The page never shows the code: she types what the helper's window shows.
    assert.ok(!(await rina.content()).includes(code));
    await rina.fill("#f-code", code.toLowerCase());
    await rina.screenshot({ path: join(artifacts, "desktop-link.png") });
    await rina.click("#link-confirm button[type=submit]");
    await rina.waitForSelector("#link-done");
    await until("the helper to see the link", () => /linked as rina@example\.com/.test(helper.log));

    // F8: the form, then the keyboard alone.
    const pressed = Date.now();
    spawnSync("xdotool", ["key", "F8"], { env: { ...process.env, ...x } });
    const found = spawnSync("xdotool", ["search", "--sync", "--onlyvisible", "--name", "Report a problem"], { env: { ...process.env, ...x }, timeout: 15000 });
    assert.equal(found.status, 0, helper.log);
    console.log(`F8 to form on screen: ${Date.now() - pressed} ms (debug build, with xdotool's own start)`);
    await until("the machine's details", () => /details measured/.test(helper.log));
    const type = (...args) => spawnSync("xdotool", args, { env: { ...process.env, ...x } });
    type("type", "--delay", "15", "Printer on floor 2 jams");
    type("key", "Tab");
    type("type", "--delay", "15", "Paper stuck in tray 3");
    await sleep(300);
    spawnSync("import", ["-window", "root", join(artifacts, "desktop-form.png")], { env: { ...process.env, ...x } });
    type("key", "ctrl+Return");
    const first = Number((await until("the ticket", () => helper.log.match(/filed ticket #(\d+)/)))[1]);
    spawnSync("import", ["-window", "root", join(artifacts, "desktop-filed.png")], { env: { ...process.env, ...x } });

    // What the admin sees: the screenshot, the machine as a table, the device linked.
    await admin.goto(`${server.base}/tickets/${first}`);
    assert.match(await admin.textContent("h1"), /Printer on floor 2 jams/);
    assert.match(await admin.textContent(".description"), /Paper stuck in tray 3/);
    assert.equal(await admin.locator(".attachment img").count(), 1);
    const machine = await admin.textContent("#machine");
    assert.match(machine, new RegExp(hostname));
    assert.match(machine, /Memory use/);
    assert.match(await admin.textContent("#linked-assets"), new RegExp(hostname));
    await admin.screenshot({ path: join(artifacts, "desktop-ticket.png"), fullPage: true });
    type("key", "Escape");

    // The server goes away; a report waits in the queue, and survives the helper being killed.
    server.child.kill("SIGTERM");
    await until("the server to stop", () => server.child.exitCode !== null);
    await sleep(300);
    type("key", "F8");
    spawnSync("xdotool", ["search", "--sync", "--onlyvisible", "--name", "Report a problem"], { env: { ...process.env, ...x }, timeout: 15000 });
    type("type", "--delay", "15", "Scanner offline on floor 3");
    type("key", "ctrl+Return");
    await until("the report to wait", () => /report waits/.test(helper.log));
    await until("the tray's count", () => /1 report waiting/.test(helper.log));
    spawnSync("import", ["-window", "root", join(artifacts, "desktop-offline.png")], { env: { ...process.env, ...x } });
    helper.kill("SIGKILL");
    helper = startHelper();
    server = await startServer({ data: server.data, listen: server.address });
    const second = Number((await until("the queued ticket", () => helper.log.match(/filed ticket #(\d+)/), 30000))[1]);
    assert.equal(second, first + 1);
    await sleep(2500); // more tries of the sender: nothing is filed twice
    // The admin's session outlived the restart.
    await admin.goto(`${server.base}/tickets?q=${encodeURIComponent('"Scanner offline"')}`);
    assert.equal(await admin.locator("table.tickets tbody tr").count(), 1);
    await admin.goto(`${server.base}/tickets/${second + 1}`);
    assert.match(await admin.textContent("h1"), /404/);

    // No tray host at all (no session bus): the helper says so, and F8 still opens the form.
    helper.kill("SIGTERM");
    await until("the helper to stop", () => helper.exitCode !== null || helper.signalCode !== null);
    const bare = run(agentBinary, ["desktop"], { ...helperEnv, DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" });
    children.push(bare);
    await until("the bare helper", () => /desktop helper ready/.test(bare.log));
    assert.match(bare.log, /No tray host available/);
    await sleep(300);
    type("key", "F8");
    const bareForm = spawnSync("xdotool", ["search", "--sync", "--onlyvisible", "--name", "Report a problem"], { env: { ...process.env, ...x }, timeout: 15000 });
    assert.equal(bareForm.status, 0, bare.log);
    type("key", "Escape");
    spawnSync("kill", [busPid]);
  } finally {
    for (const c of children.reverse()) c.kill("SIGTERM");
    await browser.close();
    server.child.kill("SIGTERM");
  }
});
