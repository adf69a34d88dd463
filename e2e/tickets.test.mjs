// The ticket flow in a real browser: a requester files a ticket in the portal with attachments; a
// technician sees it appear in the list, sees and downloads the files, adds an internal note and a
// public reply (with a file dropped onto the reply box), finds the ticket by search and resolves
// it; the requester sees the reply and its file but not the note (nor does her search), and
// confirms the resolution.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { artifacts, startServer, launch, setupAdmin, signIn, createDepartment, createUser } from "./lib.mjs";

const PASSWORD = "kopi-susu-gula-aren";
// A 2x2 red PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==",
  "base64",
);
const LOG = "2026-11-24 08:02 paper jam in tray 2\n2026-11-24 08:05 paper jam in tray 2\n";

test("requester files a ticket, technician notes and replies, requester confirms", async () => {
  mkdirSync(artifacts, { recursive: true });
  const server = await startServer();
  const browser = await launch();
  const csp = [];
  const watch = (page) => page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
  try {
    const admin = await browser.newPage({ locale: "en-US" });
    watch(admin);
    await setupAdmin(admin, server, "Siti Admin", "siti@example.com", PASSWORD);
    await createDepartment(admin, server.base, "IT");
    await createUser(admin, server.base, { email: "tono@example.com", name: "Tono Tech", role: "Technician", department: "IT", password: PASSWORD });
    await createUser(admin, server.base, { email: "rina@example.com", name: "Rina Requester", role: "Requester", department: "IT", password: PASSWORD });

    // The requester files a ticket; the form has already picked her department.
    const rina = await (await browser.newContext({ locale: "en-US" })).newPage();
    watch(rina);
    await signIn(rina, server, "rina@example.com", PASSWORD);
    await rina.click("text=New ticket");
    assert.equal(await rina.inputValue("#f-department"), await rina.getAttribute("#f-department option:has-text('IT')", "value"));
    await rina.fill("#f-title", "Printer on floor 2 jams <b>always</b>");
    await rina.fill("#f-description", "It **jams** on every second page.");
    await rina.setInputFiles("#f-files", [
      { name: "printer.log", mimeType: "text/plain", buffer: Buffer.from(LOG) },
      { name: "jam.png", mimeType: "image/png", buffer: PNG },
    ]);
    await rina.click("#new-ticket button[type=submit]");
    await rina.waitForURL(/\/tickets\/\d+\?msg=created/);
    const ticketUrl = rina.url().split("?")[0];
    assert.match(await rina.textContent("h1"), /Printer on floor 2 jams <b>always<\/b>/);
    assert.equal(await rina.locator(".description strong").textContent(), "jams");

    // The technician sees it appear in the list and works it.
    const tono = await (await browser.newContext({ locale: "en-US" })).newPage();
    watch(tono);
    await signIn(tono, server, "tono@example.com", PASSWORD);
    await tono.goto(`${server.base}/tickets?status=new`);
    assert.equal(await tono.textContent('.count[data-status="new"]'), "1");
    await tono.click("table.tickets a:has-text('Printer on floor 2')");
    await tono.waitForURL(ticketUrl);
    // The requester's files are on the ticket: the log downloads, the image has a thumbnail.
    assert.equal(await tono.locator("ul.attachments li.attachment").count(), 2);
    const [download] = await Promise.all([
      tono.waitForEvent("download"),
      tono.click("ul.attachments a:has-text('printer.log')"),
    ]);
    assert.equal(download.suggestedFilename(), "printer.log");
    assert.equal(readFileSync(await download.path(), "utf8"), LOG);
    const thumb = tono.locator("ul.attachments img");
    await thumb.scrollIntoViewIfNeeded();
    await thumb.evaluate((img) => img.complete || new Promise((r) => img.addEventListener("load", r)));
    assert.equal(await thumb.evaluate((img) => img.naturalWidth), 2);
    await tono.fill("#f-body", "Toner supplier is late again");
    await tono.check("#f-internal");
    await tono.click("#reply button[type=submit]");
    await tono.waitForURL(/#c\d+$/);
    await tono.fill("#f-body", "Replaced the roller, please try again");
    // A file dropped onto the reply box goes with the reply.
    const dropped = await tono.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["roller part no. 4471\n"], "roller.txt", { type: "text/plain" }));
      return dt;
    });
    await tono.dispatchEvent("#reply", "dragover", { dataTransfer: dropped });
    await tono.dispatchEvent("#reply", "drop", { dataTransfer: dropped });
    assert.equal(await tono.evaluate(() => document.querySelector("#f-files").files.length), 1);
    await tono.click("#reply button[type=submit]");
    await tono.waitForURL(/#c\d+$/);
    // Search from the list: a phrase finds the ticket with its words marked; leaving out a word
    // that only the internal note holds hides it from staff (the requester's search, below,
    // never sees the note).
    const search = async (page, q) => {
      await page.goto(`${server.base}/tickets`);
      await page.fill("#f-q", q);
      await page.click("form.filters > button[type=submit]");
      await page.waitForURL(/[?&]q=/);
      return page.locator("table.tickets tbody tr[data-id]");
    };
    let found = await search(tono, '"every second page"');
    assert.equal(await found.count(), 1);
    assert.equal(await found.locator(".snippet mark").allTextContents().then((m) => m.join(" ")), "every second page");
    await tono.screenshot({ path: join(artifacts, "ticket-search.png"), fullPage: true });
    assert.equal(await (await search(tono, "jams -toner")).count(), 0);
    assert.equal(await (await search(tono, "scanner or roller*")).count(), 1);
    // The filter form's date fields: created today, and nothing created before today.
    const today = new Date().toISOString().slice(0, 10);
    for (const [field, rows] of [["#f-created_from", 1], ["#f-created_to", 0]]) {
      await tono.goto(`${server.base}/tickets`);
      await tono.click(".more-filters summary"); // the date fields are under "More filters"
      await tono.fill(field, today);
      await tono.click("form.filters .actions button[type=submit]");
      await tono.waitForURL(new RegExp(`created_(from|to)=${today}`));
      assert.equal(await tono.locator("table.tickets tbody tr[data-id]").count(), rows, field);
      assert.equal(await tono.inputValue(field), today);
    }
    await tono.goto(ticketUrl);
    // The technician follows the ticket from its page.
    await tono.click("#watch button[type=submit]");
    await tono.waitForURL(/msg=saved/);
    assert.match(await tono.textContent("#watch button"), /Stop watching/);
    assert.match(await tono.textContent("#watchers"), /Watchers: 1/);
    await tono.selectOption("#ticket-fields #f-status", "resolved");
    await tono.click("#ticket-fields button[type=submit]");
    await tono.waitForURL(/msg=saved/);
    assert.match(await tono.textContent("#ticket-status"), /Resolved/);
    assert.equal(await tono.locator("#comments li.internal").count(), 1);
    await tono.screenshot({ path: join(artifacts, "ticket-technician.png"), fullPage: true });

    // The requester sees the reply and not the note, and confirms the resolution.
    await rina.goto(ticketUrl);
    const conversation = await rina.textContent("#comments");
    assert.match(conversation, /Replaced the roller/);
    assert.equal(await rina.locator("#comments .attachment a:has-text('roller.txt')").count(), 1);
    assert.doesNotMatch(conversation, /Toner supplier/);
    assert.equal(await rina.locator("#f-internal").count(), 0);
    assert.equal(await (await search(rina, "jams -toner")).count(), 1);
    await rina.goto(ticketUrl);
    await rina.click("#confirm-resolution");
    await rina.waitForURL(/msg=saved/);
    assert.match(await rina.textContent("#ticket-status"), /Closed/);
    await rina.screenshot({ path: join(artifacts, "ticket-requester.png"), fullPage: true });
    await rina.setViewportSize({ width: 390, height: 800 });
    await rina.screenshot({ path: join(artifacts, "ticket-requester-phone.png"), fullPage: true });
    assert.deepEqual(csp, []);
    // The policy holds in the browser: an inline script put into the ticket page does not run.
    await rina.goto(ticketUrl);
    const blocked = await rina.evaluate(() => new Promise((resolve) => {
      document.addEventListener("securitypolicyviolation", (e) => resolve(e.violatedDirective), { once: true });
      const s = document.createElement("script");
      s.textContent = "window.__inline = true";
      document.body.appendChild(s);
      setTimeout(() => resolve(window.__inline ? "ran" : "no report"), 3000);
    }));
    assert.match(blocked, /^script-src/);
    assert.equal(await rina.evaluate(() => window.__inline), undefined);
  } finally {
    await browser.close();
    server.child.kill("SIGTERM");
  }
});
