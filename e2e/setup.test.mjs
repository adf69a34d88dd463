// First run in a real browser: open the setup link from the log, create the admin, sign out,
// sign in again, switch the language to Indonesian, and save a screenshot.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { artifacts, startServer, launch } from "./lib.mjs";

test("first-run setup, login, and switching to Indonesian", async () => {
  mkdirSync(artifacts, { recursive: true });
  const server = await startServer();
  const browser = await launch();
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

    // Change the password on the profile page: revoking the API keys is offered, ticked.
    await page.goto(`${server.base}/profile`);
    assert.ok(await page.isChecked("#f-revoke-api-keys"), "revoking keys is the default");
    await page.fill("#f-current_password", "teh-hangat-sore-hari");
    await page.fill("#f-password", "kopi-tubruk-pagi-hari");
    await page.fill("#f-password_confirm", "kopi-tubruk-pagi-hari");
    await page.click("form[action='/profile/password'] button[type=submit]");
    await page.waitForURL(/\/profile\?msg=password_changed_keys_revoked/);
    await page.screenshot({ path: join(artifacts, "profile-password.png"), fullPage: true });

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
