// First run in a real browser: open the setup link from the log, create the admin, sign out,
// sign in again, switch the language to Indonesian, and save a screenshot.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.env.PIKET_BIN || join(here, "..", "target", "debug", "piket");
const artifacts = join(here, "artifacts");

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

function startServer(port) {
  const data = mkdtempSync(join(tmpdir(), "piket-e2e-"));
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(binary, ["serve", "--listen", `127.0.0.1:${port}`, "--data", data, "--base-url", base], {
    env: { ...process.env, PIKET_DATABASE_URL: "", RUST_LOG: "info" },
  });
  const setupLink = new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => reject(new Error("no setup link in the log:\n" + log)), 30000);
    child.stderr.on("data", (chunk) => {
      log += chunk.toString();
      const m = log.match(/https?:\/\/[^\s"]+\/setup\?token=[0-9a-f]+/);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
  });
  return { child, setupLink, base };
}

test("first-run setup, login, and switching to Indonesian", async () => {
  mkdirSync(artifacts, { recursive: true });
  const port = await freePort();
  const server = startServer(port);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const link = await server.setupLink;
    const page = await browser.newPage({ locale: "en-US" });
    const cspViolations = [];
    page.on("console", (msg) => { if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text()); });

    await page.goto(link);
    await page.fill("#f-name", "Siti Admin");
    await page.fill("#f-email", "siti@example.com");
    await page.fill("#f-password", "teh-hangat-sore-hari");
    await page.fill("#f-password_confirm", "teh-hangat-sore-hari");
    await page.click("main button[type=submit]");
    await page.waitForURL(`${server.base}/`);
    assert.match(await page.textContent("h1"), /Welcome, Siti Admin/);

    // The setup link is single-use.
    const again = await page.goto(link);
    assert.equal(again.status(), 404);

    // Sign out through the user menu, then sign in again.
    await page.goto(`${server.base}/`);
    await page.click("#usermenu");
    await page.click("#logout");
    await page.waitForURL(`${server.base}/login`);
    await page.fill("#f-email", "siti@example.com");
    await page.fill("#f-password", "teh-hangat-sore-hari");
    await page.click("main button[type=submit]");
    await page.waitForURL(`${server.base}/`);

    // Switch the language to Indonesian in the profile.
    await page.goto(`${server.base}/profile`);
    await page.selectOption("#f-locale", "id");
    await page.click("#save-profile");
    await page.waitForURL(/\/profile\?msg=saved/);
    assert.equal(await page.getAttribute("html", "lang"), "id");
    assert.match(await page.textContent(".flash"), /Tersimpan/);
    await page.goto(`${server.base}/`);
    assert.match(await page.textContent("h1"), /Selamat datang, Siti Admin/);
    await page.goto(`${server.base}/admin/users`);
    assert.match(await page.textContent("h1"), /Pengguna/);
    await page.screenshot({ path: join(artifacts, "users-id.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 800 });
    await page.screenshot({ path: join(artifacts, "users-id-phone.png"), fullPage: true });
    assert.deepEqual(cspViolations, []);
  } finally {
    await browser.close();
    server.child.kill("SIGTERM");
  }
});
