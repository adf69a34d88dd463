// Shared by the browser tests: start a Piket server on a port of its own with a fresh data directory,
// catch the setup link from its log, and launch Debian's headless Chromium.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const here = dirname(fileURLToPath(import.meta.url));
export const binary = process.env.PIKET_BIN || join(here, "..", "target", "debug", "piket");
export const artifacts = join(here, "artifacts");

/** Start a server on a port the system picks; resolves once it has printed the address it
 * bound (`piket listening on …`), so nothing else can take the port in between. */
export function startServer({ data = mkdtempSync(join(tmpdir(), "piket-e2e-")), listen = "127.0.0.1:0" } = {}) {
  const child = spawn(binary, ["serve", "--listen", listen, "--data", data], {
    env: { ...process.env, PIKET_DATABASE_URL: "", RUST_LOG: "info" },
  });
  let log = "";
  child.stderr.on("data", (chunk) => (log += chunk.toString()));
  const exited = new Promise((_, reject) =>
    child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${log}`))),
  );
  exited.catch(() => {});
  const setupLink = Promise.race([
    exited,
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no setup link in the log:\n" + log)), 30000);
      // A restart on an existing data directory prints no link: do not hold the process open.
      timer.unref();
      const look = () => {
        const m = log.match(/https?:\/\/[^\s"]+\/setup\?token=[0-9a-f]+/);
        if (m) {
          clearTimeout(timer);
          child.stderr.off("data", look);
          resolve(m[0]);
        }
      };
      child.stderr.on("data", look);
    }),
  ]);
  setupLink.catch(() => {});
  const bound = Promise.race([
    exited,
    new Promise((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error("no address printed:\n" + out + log)), 30000);
      child.stdout.on("data", (chunk) => {
        out += chunk.toString();
        const m = out.match(/piket listening on (\S+)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    }),
  ]);
  return bound.then((address) => ({ child, setupLink, data, address, base: `http://${address}` }));
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
