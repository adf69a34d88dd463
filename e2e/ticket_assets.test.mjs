// Tickets about devices, in a real browser: an admin records a requester's main device (and a
// spare, and a duplicate the collector made); the requester opens the portal form and finds the
// main device preselected as the "Affected device"; the admin sees the device on the ticket and
// the ticket on the device's page, links the spare by its tag, then merges the duplicate into the
// main device from its page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { artifacts, startServer, launch, setupAdmin, signIn, createDepartment, createUser } from "./lib.mjs";

const PASSWORD = "nasi-goreng-kambing-pedas";

async function createDevice(page, base, { name, tag, owner, main, serial }) {
  await page.goto(`${base}/inventory/new`);
  await page.fill("#f-name", name);
  await page.selectOption("#f-type", "laptop");
  if (tag) await page.fill("#f-asset_tag", tag);
  if (serial) await page.fill("#f-serial", serial);
  if (owner) await page.selectOption("#f-owner_id", { label: owner });
  await page.selectOption("#f-department_id", { label: "IT" });
  if (main) await page.check("#f-is_main");
  await page.click("#asset-form button[type=submit]");
  await page.waitForURL(/\/inventory\/\d+\?msg=created$/);
  return Number(page.url().match(/\/inventory\/(\d+)/)[1]);
}

test("the requester's main device is preselected, linked, and shown on both pages; duplicates merge", async () => {
  mkdirSync(artifacts, { recursive: true });
  const server = await startServer();
  const browser = await launch();
  const csp = [];
  try {
    const admin = await browser.newPage({ locale: "en-US" });
    admin.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
    admin.on("dialog", (d) => d.accept());
    await setupAdmin(admin, server, "Siti Admin", "siti@example.com", PASSWORD);
    await createDepartment(admin, server.base, "IT");
    await createUser(admin, server.base, { email: "rina@example.com", name: "Rina Requester", role: "Requester", department: "IT", password: PASSWORD });
    const owner = "Rina Requester (rina@example.com)";
    const spare = await createDevice(admin, server.base, { name: "Rina's spare", tag: "IT-0007", owner });
    const main = await createDevice(admin, server.base, { name: "Rina's ThinkPad", tag: "IT-0042", owner, main: true });
    const spareAgain = await createDevice(admin, server.base, { name: "Rina's spare (collector)", tag: "IT-0099", serial: "SN-SPARE-1" });

    // The requester's portal form: the main device is chosen already.
    const rina = await (await browser.newContext({ locale: "en-US" })).newPage();
    rina.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
    await signIn(rina, server, "rina@example.com", PASSWORD);
    await rina.goto(`${server.base}/tickets/new`);
    assert.equal(await rina.inputValue("#f-asset"), String(main));
    const options = await rina.locator("#f-asset option").allTextContents();
    assert.ok(options.some((o) => o.includes("Rina's spare")), options.join("|"));
    await rina.fill("#f-title", "The ThinkPad will not charge");
    await rina.click("#new-ticket button[type=submit]");
    await rina.waitForURL(/\/tickets\/\d+\?msg=created$/);
    const ticket = Number(rina.url().match(/\/tickets\/(\d+)/)[1]);
    assert.match(await rina.textContent("#linked-assets"), /Rina's ThinkPad/);

    // The admin sees the device on the ticket, links the spare by tag, opens the device.
    await admin.goto(`${server.base}/tickets/${ticket}`);
    assert.match(await admin.textContent("#linked-assets"), /Rina's ThinkPad/);
    // Typing a name offers matching devices within reach (fetched as you type).
    await admin.fill("#f-asset-ref", "Rina");
    await admin.waitForFunction(() => document.querySelectorAll("#asset-suggestions option").length > 0);
    const offered = await admin.locator("#asset-suggestions option").allTextContents();
    assert.ok(offered.some((o) => o.includes("Rina's spare")), offered.join("|"));
    await admin.fill("#f-asset-ref", "it-0007");
    await admin.click("#link-asset button[type=submit]");
    await admin.waitForURL(`${server.base}/tickets/${ticket}?msg=saved`);
    assert.equal(await admin.locator("#linked-assets li[data-id]").count(), 2);
    await admin.click(`#linked-assets a[href='/inventory/${main}']`);
    await admin.waitForURL(`${server.base}/inventory/${main}`);
    const row = admin.locator(`#asset-ticket-list tr[data-id='${ticket}']`);
    assert.equal(await row.count(), 1);
    assert.match(await row.textContent(), /The ThinkPad will not charge/);

    // Merge the collector's duplicate into the spare, from the spare's edit page.
    await admin.goto(`${server.base}/inventory/${spare}`);
    await admin.click("#edit-asset");
    await admin.waitForURL(`${server.base}/inventory/${spare}/edit`);
    await admin.fill("#f-merge-from", "IT-0099");
    await admin.click("#merge-submit");
    await admin.waitForURL(`${server.base}/inventory/${spare}?msg=merged`);
    assert.match(await admin.textContent("main"), /The assets are merged\./);
    assert.match(await admin.textContent("#asset-hardware"), /SN-SPARE-1/, "the empty serial is filled");
    assert.match(await admin.textContent("#asset-facts"), /IT-0007/, "the tag is kept");
    assert.equal(await admin.locator("#asset-history li[data-field='merged']").count(), 1);
    assert.match(await admin.textContent("#asset-ticket-list"), /The ThinkPad will not charge/);
    await admin.screenshot({ path: join(artifacts, "ticket-assets-merged.png"), fullPage: true });
    const gone = await admin.goto(`${server.base}/inventory/${spareAgain}`);
    assert.equal(gone.status(), 404);
    assert.deepEqual(csp, []);
  } finally {
    await browser.close();
    server.child.kill("SIGTERM");
  }
});
