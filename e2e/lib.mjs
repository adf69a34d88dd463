// Shared by the browser tests: start a Piket server on a free port with a fresh data directory,
// catch the setup link from its log, and launch Debian's headless Chromium.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import { chromium } from "playwright-core";

export const here = dirname(fileURLToPath(import.meta.url));
export const binary = process.env.PIKET_BIN || join(here, "..", "target", "debug", "piket");
export const artifacts = join(here, "artifacts");

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export function startServer(port) {
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

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Complete the first-run setup as an administrator; leaves the page signed in. */
export async function setupAdmin(page, server, name, email, password) {
  await page.goto(await server.setupLink);
  await page.fill("#f-name", name);
  await page.fill("#f-email", email);
  await page.fill("#f-password", password);
  await page.fill("#f-password_confirm", password);
  await page.click("main button[type=submit]");
  await page.waitForURL(`${server.base}/`);
}

/** Sign in on a fresh page. */
export async function signIn(page, server, email, password) {
  await page.goto(`${server.base}/login`);
  await page.fill("#f-email", email);
  await page.fill("#f-password", password);
  await page.click("main button[type=submit]");
  await page.waitForURL(`${server.base}/`);
}

/** As a signed-in admin: create a department. */
export async function createDepartment(page, base, name) {
  await page.goto(`${base}/admin/departments/new`);
  await page.fill("#f-name", name);
  await page.click("main button[type=submit]");
  await page.waitForURL(/\/admin\/departments\?msg=created/);
}

/** As a signed-in admin: create a user with a role, in one department. */
export async function createUser(page, base, { email, name, role, department, password }) {
  await page.goto(`${base}/admin/users/new`);
  await page.fill("#f-email", email);
  await page.fill("#f-name", name);
  await page.selectOption("#f-role", { label: role });
  await page.check(`label.check:has-text("${department}") input`);
  await page.fill("#f-password", password);
  await page.click("main button[type=submit]");
  await page.waitForURL(/\/admin\/users\?msg=created/);
}
