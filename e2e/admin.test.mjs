// Issue #19 part 5, admin pages a person can use, in a real browser: the role editor's permissions
// grouped by area (modules not built are not offered), a licence's devices and people assigned
// through the search picker (typed ahead with script, and with the search button without it),
// the asset's read view and its Edit button, and dismissing the "email is not set up" notice for
// good. Screenshots at 1366 and 360 px wide.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { artifacts, startServer, launch, setupAdmin, signIn, createDepartment, createUser } from "./lib.mjs";

const PASSWORD = "es-teler-alpukat-nangka";

/** Both widths: the page as it is, then at 360 px, then back. */
async function shots(page, name) {
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.screenshot({ path: join(artifacts, `${name}-1366.png`), fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `${name} is ${width}px wide at 360`);
  await page.screenshot({ path: join(artifacts, `${name}-360.png`), fullPage: true });
  await page.setViewportSize({ width: 1366, height: 900 });
}

/** A device made through the new-device form; its page's URL. */
async function device(page, base, name, tag) {
  await page.goto(`${base}/inventory/new`);
  await page.fill("#f-name", name);
  await page.selectOption("#f-type", "laptop");
  await page.fill("#f-asset_tag", tag);
  await page.selectOption("#f-department_id", { label: "IT" });
  await page.click("#asset-form button[type=submit]");
  await page.waitForURL(/\/inventory\/\d+\?msg=created$/);
  return page.url().split("?")[0];
}

test("role areas, the licence picker, the asset's read view and a dismissed notice", async () => {
  mkdirSync(artifacts, { recursive: true });
  const server = await startServer();
  const browser = await launch();
  const csp = [];
  try {
    const admin = await browser.newPage({ locale: "en-US", viewport: { width: 1366, height: 900 } });
    admin.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
    await setupAdmin(admin, server, "Siti Admin", "siti@example.com", PASSWORD);
    await createDepartment(admin, server.base, "IT");
    await createUser(admin, server.base, { email: "rina@example.com", name: "Rina Requester", role: "Requester", department: "IT", password: PASSWORD });

    // The role editor: areas with headings, plain names with a line each, no unbuilt modules.
    await admin.goto(`${server.base}/admin/roles/new`);
    const legends = await admin.locator("fieldset.perm-area > legend").allTextContents();
    assert.deepEqual(legends, ["Tickets", "Inventory", "Users and access", "Settings", "Audit and monitoring"]);
    assert.equal(await admin.locator("input[value='fleet.read'], input[value='knowledge.read']").count(), 0);
    const assign = admin.locator("#perm-area-tickets label.perm", { hasText: "Assign tickets" });
    assert.match(await assign.textContent(), /Choose who works a ticket/);
    await shots(admin, "admin-role-editor");
    await admin.fill("#f-name", "Front desk");
    await assign.locator("input").check();
    await admin.locator("label.perm", { hasText: "See tickets" }).locator("input").check();
    await admin.click("main form button[type=submit].primary");
    await admin.waitForURL(/\/admin\/roles\?msg=created/);
    const row = admin.locator("tr", { hasText: "Front desk" });
    assert.match(await row.textContent(), /Tickets:\s*See tickets, Assign tickets/);
    await shots(admin, "admin-roles");

    // Two devices, then a licence assigned through the picker.
    const finance = await device(admin, server.base, "Finance laptop", "FIN-001");
    await device(admin, server.base, "Reception PC", "REC-002");
    await admin.goto(`${server.base}/inventory/licenses`);
    await admin.fill("#f-product", "Office 2024");
    await admin.fill("#f-seats", "5");
    await admin.click("#license-form button[type=submit]");
    await admin.waitForURL(/\/inventory\/licenses\/\d+\?msg=created$/);
    const licenseUrl = admin.url().split("?")[0];
    assert.equal(await admin.locator("input[name=device_ids], input[name=user_ids]").count(), 0, "no ids to type");
    // With script: matches appear as one types; Assign posts and comes back.
    await admin.fill("#f-dq", "fin");
    const match = admin.locator("#license-devices-found li", { hasText: "Finance laptop" });
    await match.waitFor();
    assert.equal(await admin.locator("#license-devices-found li", { hasText: "Reception PC" }).count(), 0);
    await match.locator("button[type=submit]").click();
    await admin.waitForURL(/msg=assigned#license-devices$/);
    assert.match(await admin.textContent("#license-devices-assigned"), /Finance laptop/);
    await admin.fill("#f-uq", "rina");
    const person = admin.locator("#license-users-found li", { hasText: "Rina Requester" });
    await person.waitFor();
    await person.locator("button[type=submit]").click();
    await admin.waitForURL(/msg=assigned#license-users$/);
    assert.match(await admin.textContent("#license-users-assigned"), /Rina Requester/);

    // Without script: the search button lists matches; Assign works the same.
    const plain = await browser.newContext({ locale: "en-US", javaScriptEnabled: false, storageState: await admin.context().storageState() });
    const noscript = await plain.newPage();
    await noscript.goto(licenseUrl);
    await noscript.fill("#f-dq", "reception");
    await noscript.click("#license-devices form.picker-search button[type=submit]");
    await noscript.waitForURL(/dq=reception/);
    const found = noscript.locator("#license-devices-found li", { hasText: "Reception PC" });
    assert.equal(await found.count(), 1);
    await found.locator("button[type=submit]").click();
    await noscript.waitForURL(/msg=assigned/);
    const assigned = await noscript.textContent("#license-devices-assigned");
    assert.match(assigned, /Finance laptop/);
    assert.match(assigned, /Reception PC/);
    await plain.close();
    await admin.goto(`${licenseUrl}?dq=laptop`);
    await shots(admin, "admin-license-picker");

    // The asset's page reads in sections; Edit leads to the form, and back.
    await admin.goto(finance);
    assert.equal(await admin.locator("#asset-form").count(), 0);
    for (const id of ["#asset-summary", "#asset-hardware", "#software", "#asset-licenses", "#asset-tickets", "#asset-history"]) {
      assert.ok(await admin.isVisible(id), id);
    }
    assert.equal(await admin.getAttribute("#warranty-flag", "data-warranty"), "unknown");
    assert.match(await admin.textContent("#asset-licenses"), /Office 2024/);
    await admin.click("#edit-asset");
    await admin.waitForURL(`${finance}/edit`);
    const soon = new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10);
    await admin.fill("#f-warranty_end", soon);
    await admin.fill("#f-cpu", "Intel Core i5-1345U");
    await admin.click("#asset-form button[type=submit]");
    await admin.waitForURL(`${finance}?msg=saved`);
    assert.equal(await admin.getAttribute("#warranty-flag", "data-warranty"), "expiring");
    assert.match(await admin.textContent("#warranty-flag"), /Warranty ends within 30 days/);
    assert.match(await admin.textContent("#asset-hardware"), /Intel Core i5-1345U/);
    const history = await admin.textContent("#asset-history");
    assert.match(history, /Siti Admin/);
    assert.doesNotMatch(history, /@/);
    await shots(admin, "admin-asset");
    await admin.goto(`${finance}/edit`);
    await shots(admin, "admin-asset-edit");

    // The email notice: dismissed here, gone on the next page and in a new session, kept for
    // nobody else (this admin is the only one who sees it).
    await admin.goto(`${server.base}/tickets`);
    assert.ok(await admin.isVisible("#smtp-missing"));
    await shots(admin, "admin-notice");
    await Promise.all([admin.waitForEvent("framenavigated"), admin.click("#dismiss-smtp-missing button[type=submit]")]);
    await admin.waitForLoadState("load");
    assert.equal(admin.url(), `${server.base}/tickets`, "back where it was pressed");
    assert.equal(await admin.locator("#smtp-missing").count(), 0);
    const again = await (await browser.newContext({ locale: "en-US" })).newPage();
    await signIn(again, server, "siti@example.com", PASSWORD);
    assert.equal(await again.locator("#smtp-missing").count(), 0, "remembered across sessions");
    assert.deepEqual(csp, []);
  } finally {
    await browser.close();
    server.child.kill("SIGTERM");
  }
});
