// Piket agent pages in a real browser: an admin creates an enrollment token on
// /admin/inventory/agents, sees it once with the ready command, revokes it and sees "Revoked";
// a requester opens "Download agent" from the navigation and makes a personal enroll command.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { artifacts, startServer, launch, setupAdmin, signIn, createDepartment, createUser } from "./lib.mjs";

const PASSWORD = "nasi-goreng-kambing-pedas";

test("admin makes and revokes an enrollment token; a requester makes a personal command", async () => {
  mkdirSync(artifacts, { recursive: true });
  const server = await startServer();
  const browser = await launch();
  const csp = [];
  try {
    const admin = await browser.newPage({ locale: "en-US" });
    admin.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
    await setupAdmin(admin, server, "Siti Admin", "siti@example.com", PASSWORD);
    await createDepartment(admin, server.base, "IT");
    await createUser(admin, server.base, { email: "rina@example.com", name: "Rina Requester", role: "Requester", department: "IT", password: PASSWORD });

    await admin.click("nav.mainnav a[href='/admin/inventory/agents']");
    await admin.waitForURL(`${server.base}/admin/inventory/agents`);
    await admin.fill("#f-name", "Floor 2 PCs");
    await admin.selectOption("#f-department", { label: "IT" });
    await admin.fill("#f-max", "20");
    await admin.click("#token-form button[type=submit]");
    const token = (await admin.textContent("#new-token")).trim();
    assert.match(token, /^enr_[A-Za-z0-9]{40}$/);
    assert.equal((await admin.textContent("#enroll-command")).trim(), `piket-agent enroll --server ${server.base} --token ${token}`);
    const row = admin.locator("#tokens tr:has-text('Floor 2 PCs')");
    assert.match(await row.locator(".token-status").textContent(), /Active/);
    await admin.screenshot({ path: join(artifacts, "agents-token.png"), fullPage: true });

    // Shown once: a reload has no token.
    await admin.goto(`${server.base}/admin/inventory/agents`);
    assert.equal(await admin.locator("#new-token").count(), 0);
    assert.ok(!(await admin.content()).includes(token));
    await admin.locator("#tokens tr:has-text('Floor 2 PCs') button[type=submit]").click();
    await admin.waitForURL(/\/admin\/inventory\/agents\?msg=revoked$/);
    assert.match(await admin.locator("#tokens tr:has-text('Floor 2 PCs') .token-status").textContent(), /Revoked/);

    // A requester: "Download agent" in the navigation, then a personal command.
    const rina = await browser.newPage({ locale: "en-US" });
    rina.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
    await signIn(rina, server, "rina@example.com", PASSWORD);
    await rina.click("#nav-agent");
    await rina.waitForURL(`${server.base}/agent`);
    assert.match(await rina.textContent("#collect-command"), /piket-agent collect --server .* --email rina@example\.com/);
    assert.equal(await rina.locator("#no-downloads").count(), 1);
    await rina.click("#command-form button[type=submit]");
    await rina.waitForURL(`${server.base}/agent/command`);
    const command = (await rina.textContent("#enroll-command")).trim();
    assert.match(command, new RegExp(`^piket-agent enroll --server ${server.base.replace(/[.]/g, "\\.")} --token enr_[A-Za-z0-9]{40}$`));
    await rina.screenshot({ path: join(artifacts, "agent-download.png"), fullPage: true });

    // The command works once: the agent enrolls with it.
    const personal = command.split("--token ")[1];
    const enroll = await fetch(`${server.base}/api/v1/agent/enroll`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: personal, hostname: "rina-laptop" }),
    });
    assert.equal(enroll.status, 201);
    const again = await fetch(`${server.base}/api/v1/agent/enroll`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: personal, hostname: "rina-laptop" }),
    });
    assert.equal(again.status, 401);
    assert.equal((await again.json()).error, "invalid_token");
    assert.deepEqual(csp, []);
  } finally {
    await browser.close();
    server.child.kill("SIGTERM");
  }
});
