// Software in a real browser: an admin records two devices, puts software on them from each
// device page, finds it in the catalog, creates a one-seat licence for a product installed on both
// and sees it flagged "over" in the compliance table, with its key masked until revealed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { artifacts, startServer, launch, setupAdmin, createDepartment } from "./lib.mjs";

const PASSWORD = "nasi-goreng-kambing-pedas";
const KEY = "PSHP-1234-ABCD";

test("admin puts software on two devices and a one-seat licence shows as over", async () => {
  mkdirSync(artifacts, { recursive: true });
  const server = await startServer();
  const browser = await launch();
  const csp = [];
  try {
    const admin = await browser.newPage({ locale: "en-US" });
    admin.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
    await setupAdmin(admin, server, "Siti Admin", "siti@example.com", PASSWORD);
    await createDepartment(admin, server.base, "IT");

    for (const [name, extra] of [["Design PC 1", "GIMP | | 2.10"], ["Design PC 2", "Inkscape | Inkscape | 1.3"]]) {
      await admin.goto(`${server.base}/inventory/new`);
      await admin.fill("#f-name", name);
      await admin.selectOption("#f-type", "desktop");
      await admin.selectOption("#f-department_id", { label: "IT" });
      await admin.click("#asset-form button[type=submit]");
      await admin.waitForURL(/\/inventory\/\d+\?msg=created$/);
      const deviceUrl = admin.url().split("?")[0];
      await admin.click("#edit-asset");
      await admin.waitForURL(`${deviceUrl}/edit`);
      await admin.fill("#f-items", `Photoshop | Adobe | 25.0\n${extra}`);
      await admin.click("#software-form button[type=submit]");
      await admin.waitForURL(`${deviceUrl}?msg=saved#software`);
      const table = await admin.textContent("#device-software");
      assert.match(table, /Photoshop/);
      assert.match(await admin.textContent("#asset-history"), /Software added/);
    }

    // The catalog lists Photoshop once, installed on two devices.
    await admin.goto(`${server.base}/inventory`);
    await admin.click("#software-link");
    await admin.waitForURL(`${server.base}/inventory/software`);
    await admin.fill("#f-q", "photo");
    await admin.click("#software-filter button[type=submit]");
    await admin.waitForURL(/q=photo/);
    const rows = admin.locator("#software-list tbody tr[data-id]");
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().textContent(), /Photoshop[\s\S]*Adobe[\s\S]*25\.0[\s\S]*2/);

    // A one-seat licence: over.
    await admin.goto(`${server.base}/inventory/licenses`);
    await admin.fill("#f-product", "photoshop");
    await admin.fill("#f-vendor", "Adobe");
    await admin.fill("#f-key", KEY);
    await admin.fill("#f-seats", "1");
    await admin.click("#license-form button[type=submit]");
    await admin.waitForURL(/\/inventory\/licenses\/\d+\?msg=created$/);
    const licenseUrl = admin.url().split("?")[0];
    assert.equal(await admin.locator("#key-masked").count(), 1);
    assert.ok(!(await admin.content()).includes(KEY), "masked until revealed");
    await admin.click("#reveal-form button[type=submit]");
    await admin.waitForURL(`${licenseUrl}/reveal`);
    assert.equal(await admin.textContent("#key-value"), KEY);

    await admin.goto(`${server.base}/inventory/licenses`);
    const line = admin.locator("#compliance tbody tr[data-id]");
    assert.equal(await line.count(), 1);
    assert.match(await line.first().textContent(), /photoshop/);
    assert.equal(await line.first().locator("[data-flag='over']").count(), 1);
    assert.match(await line.first().locator("[data-flag='over']").textContent(), /Over/);
    await admin.screenshot({ path: join(artifacts, "software-compliance.png"), fullPage: true });
    assert.deepEqual(csp, []);
  } finally {
    await browser.close();
    server.child.kill("SIGTERM");
  }
});
