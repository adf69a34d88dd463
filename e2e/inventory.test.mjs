// Hardware inventory in a real browser: an admin records a laptop on /inventory/new, finds it in
// the list and by its serial number, opens it, reveals the credential (masked until then), edits
// the RAM and sees the change in the history; the collector settings page states its risk, and its FusionInventory/OCS/GLPI switch turns
// those endpoints off (403) and on again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { artifacts, here, startServer, launch, setupAdmin, createDepartment, createUser } from "./lib.mjs";

const PASSWORD = "nasi-goreng-kambing-pedas";
const SECRET = "admin:Lapt0p-Rahasia!";

test("admin records a device, searches it by serial, reveals its credential and sees its history", async () => {
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

    // From the navigation to the new-device form.
    await admin.click("nav.mainnav a[href='/inventory']");
    await admin.waitForURL(`${server.base}/inventory`);
    await admin.click("#new-asset");
    await admin.waitForURL(`${server.base}/inventory/new`);
    await admin.fill("#f-name", "Rina's ThinkPad");
    await admin.selectOption("#f-type", "laptop");
    await admin.fill("#f-asset_tag", "IT-0042");
    await admin.fill("#f-serial", "PF-3XK9Z");
    await admin.fill("#f-ram_mb", "8192");
    await admin.fill("#f-ip_addresses", "10.1.2.3");
    await admin.selectOption("#f-owner_id", { label: "Rina Requester (rina@example.com)" });
    await admin.selectOption("#f-department_id", { label: "IT" });
    await admin.check("#f-is_main");
    await admin.fill("#f-credential", SECRET);
    await admin.click("#asset-form button[type=submit]");
    await admin.waitForURL(/\/inventory\/\d+\?msg=created$/);
    const deviceUrl = admin.url().split("?")[0];
    assert.equal(await admin.locator("#credential-masked").count(), 1);
    assert.ok(!(await admin.content()).includes(SECRET), "masked until revealed");

    // In the list, and found by its serial number.
    await admin.goto(`${server.base}/inventory`);
    assert.match(await admin.textContent("#inventory-list"), /Rina's ThinkPad/);
    await admin.fill("#f-q", "3xk9");
    await admin.click("#inventory-filter button[type=submit]");
    await admin.waitForURL(/[?&]q=3xk9/);
    const rows = admin.locator("#inventory-list tbody tr[data-id]");
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().textContent(), /PF-3XK9Z/);
    await admin.fill("#f-q", "no-such-serial");
    await admin.click("#inventory-filter button[type=submit]");
    await admin.waitForURL(/q=no-such-serial/);
    assert.equal(await admin.locator("#inventory-list tbody tr[data-id]").count(), 0);

    // Open it from the list and reveal the credential.
    await admin.fill("#f-q", "PF-3XK9Z");
    await admin.click("#inventory-filter button[type=submit]");
    await admin.waitForURL(/q=PF-3XK9Z/);
    await admin.click("#inventory-list a:has-text(\"Rina's ThinkPad\")");
    await admin.waitForURL(deviceUrl);
    await admin.click("#reveal-form button[type=submit]");
    await admin.waitForURL(`${deviceUrl}/reveal`);
    assert.equal(await admin.textContent("#credential-value"), SECRET);

    // Edit the RAM (the page reads; Edit leads to the form); the history shows old and new
    // value, and who changed it, by name.
    await admin.goto(deviceUrl);
    assert.equal(await admin.locator("#asset-form").count(), 0, "the device's page is a read view");
    await admin.click("#edit-asset");
    await admin.waitForURL(`${deviceUrl}/edit`);
    assert.equal(await admin.inputValue("#f-credential"), "", "the credential is write-only");
    await admin.fill("#f-ram_mb", "16384");
    await admin.selectOption("#f-status", "in_repair");
    await admin.click("#asset-form button[type=submit]");
    await admin.waitForURL(`${deviceUrl}?msg=saved`);
    const ram = admin.locator("#asset-history li[data-field='ram']");
    assert.equal(await ram.count(), 1);
    assert.match(await ram.textContent(), /8192\s*→\s*16384/);
    assert.match(await ram.textContent(), /Siti Admin/);
    assert.doesNotMatch(await admin.textContent("#asset-history"), /@/);
    assert.match(await admin.locator("#asset-history li[data-field='status']").textContent(), /Status: In use\s*→\s*In repair/);
    assert.equal(await admin.locator("#credential-masked").count(), 1, "masked again, and kept");
    await admin.screenshot({ path: join(artifacts, "inventory-device.png"), fullPage: true });

    // The collector settings page warns about leaving the endpoint open.
    await admin.click("nav.mainnav a[href='/admin/inventory/collector']");
    assert.match(await admin.textContent("#collector-risk"), /overwrite that user's main device/);

    // The FusionInventory/OCS/GLPI switches on the same page: agents without a password get a
    // Basic challenge by default; off, 403; on with anonymous reports allowed, SEND.
    const prolog = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><REQUEST><DEVICEID>e2e-pc-2026-11-25-10-00-00</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>";
    const ocs = () => admin.request.post(`${server.base}/ocsinventory`, { headers: { "content-type": "application/xml" }, data: prolog });
    assert.ok(await admin.isChecked("#f-legacy-agents"), "on by default");
    assert.equal(await admin.isChecked("#f-anonymous-agents"), false, "anonymous reports off by default");
    assert.match(await admin.textContent("#anonymous-risk"), /anonymous agent created/);
    const challenged = await ocs();
    assert.equal(challenged.status(), 401);
    assert.equal(challenged.headers()["www-authenticate"], "Basic realm=\"piket\"");
    await admin.uncheck("#f-legacy-agents");
    await admin.click("#collector-form button[type=submit]");
    await admin.waitForSelector("#collector-form");
    assert.equal(await admin.isChecked("#f-legacy-agents"), false);
    assert.equal((await ocs()).status(), 403);
    await admin.check("#f-legacy-agents");
    await admin.check("#f-anonymous-agents");
    await admin.click("#collector-form button[type=submit]");
    await admin.waitForSelector("#collector-form");
    const back = await ocs();
    assert.equal(back.status(), 200);
    assert.match(await back.text(), /<RESPONSE>SEND<\/RESPONSE>/);

    // An anonymous agent reporting a machine with the ThinkPad's serial may not overwrite it: a
    // new asset, and on the ThinkPad's page a merge suggestion the admin can dismiss.
    const fixture = readFileSync(join(here, "..", "crates", "piket-server", "tests", "fixtures", "fusioninventory-inventory.xml"), "utf8")
      .replace("PF3ABCD1", "PF-3XK9Z")
      .replace("<MSN>L1HF16Q00HA</MSN>", "");
    const report = await admin.request.post(`${server.base}/ocsinventory`, { headers: { "content-type": "application/xml" }, data: fixture });
    assert.equal(report.status(), 200, await report.text());
    await admin.goto(deviceUrl);
    const suggestions = admin.locator("#merge-suggestions li.suggestion");
    assert.equal(await suggestions.count(), 1);
    assert.match(await suggestions.first().textContent(), /same serial number/);
    assert.match(await admin.textContent("#asset-hardware"), /16384/, "the report changed nothing here");
    await admin.screenshot({ path: join(artifacts, "inventory-suggestion.png"), fullPage: true });
    await admin.setViewportSize({ width: 360, height: 740 });
    await admin.locator("#merge-suggestions").screenshot({ path: join(artifacts, "inventory-suggestion-phone.png") });
    await admin.click("#merge-suggestions form[action$='/dismiss'] button[type=submit]");
    await admin.waitForLoadState("load");
    assert.equal(await admin.locator("#merge-suggestions li.suggestion").count(), 0);
    assert.deepEqual(csp, []);
  } finally {
    await browser.close();
    server.child.kill("SIGTERM");
  }
});
