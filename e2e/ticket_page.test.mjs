// The agent's ticket page (issue #19, part 1) in a real browser: a reply being written survives
// the side panel's Save, a reload and another device; "Assign to me"; a canned response lands
// on a paragraph of its own; the one Update sends a reply and a status together. Screenshots at
// desktop and phone width.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { artifacts, startServer, launch, setupAdmin, signIn, createDepartment, createUser } from "./lib.mjs";

const PASSWORD = "es-cendol-durian-dingin";

test("the ticket page keeps drafts and updates in one go", async () => {
  mkdirSync(artifacts, { recursive: true });
  const server = await startServer();
  const browser = await launch();
  const problems = [];
  const watch = (page) => {
    page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) problems.push(m.text()); });
    page.on("pageerror", (e) => problems.push(String(e)));
    // Leaving with unsent text asks first: these steps mean to leave.
    page.on("dialog", (d) => d.accept());
  };
  try {
    const admin = await browser.newPage({ locale: "en-US" });
    watch(admin);
    await setupAdmin(admin, server, "Siti Admin", "siti@example.com", PASSWORD);
    await createDepartment(admin, server.base, "IT");
    await createUser(admin, server.base, { email: "tono@example.com", name: "Tono Tech", role: "Technician", department: "IT", password: PASSWORD });
    await createUser(admin, server.base, { email: "rina@example.com", name: "Rina Requester", role: "Requester", department: "IT", password: PASSWORD });
    await admin.goto(`${server.base}/admin/canned`);
    await admin.fill("#f-name", "Roller replaced");
    await admin.fill("#f-body", "We replaced the roller.");
    await admin.click("#canned-form button[type=submit]");
    await admin.waitForURL(/\/admin\/canned\?msg=saved/);

    const rina = await (await browser.newContext({ locale: "en-US" })).newPage();
    watch(rina);
    await signIn(rina, server, "rina@example.com", PASSWORD);
    await rina.goto(`${server.base}/tickets/new`);
    await rina.fill("#f-title", "Printer jams");
    await rina.fill("#f-description", "On every second page.");
    await rina.click("#new-ticket button[type=submit]");
    await rina.waitForURL(/\/tickets\/\d+\?msg=created/);
    const ticketUrl = rina.url().split("?")[0];

    const tonoContext = await browser.newContext({ locale: "en-US", viewport: { width: 1366, height: 900 } });
    const tono = await tonoContext.newPage();
    watch(tono);
    await signIn(tono, server, "tono@example.com", PASSWORD);
    await tono.goto(ticketUrl);
    // The requester's context sits beside the conversation, fetched after the page.
    await tono.waitForSelector("#requester-context:not([data-context])");
    assert.match(await tono.textContent("#requester-context"), /rina@example\.com/);
    // The live notice is by the reply box, not above the page.
    assert.equal(await tono.evaluate(() => document.getElementById("live-notice").closest("section.grow") !== null), true);

    // A draft survives the side panel's Save …
    const draft = "Checked the fuser; ordering a roller.";
    await tono.fill("#f-body", draft);
    await tono.selectOption("#ticket-fields #f-status", "open");
    await tono.click("#ticket-fields button[type=submit]");
    await tono.waitForURL(/\?msg=saved/);
    assert.equal(await tono.inputValue("#f-body"), draft);
    assert.match(await tono.textContent("#ticket-status"), /Open/);
    // … a reload …
    await tono.reload();
    assert.equal(await tono.inputValue("#f-body"), draft);
    // … and another device (no copy in that browser; the server's).
    const more = draft + " Back tomorrow.";
    await tono.fill("#f-body", more);
    await tono.waitForResponse((r) => r.url().endsWith("/draft") && r.status() === 204, { timeout: 10000 });
    const laptop = await (await browser.newContext({ locale: "en-US", javaScriptEnabled: false })).newPage();
    await signIn(laptop, server, "tono@example.com", PASSWORD);
    await laptop.goto(ticketUrl);
    assert.equal(await laptop.inputValue("#f-body"), more);

    // "Assign to me": the field save, keeping the draft.
    await tono.click("#assign-me");
    await tono.waitForURL(/\?msg=saved/);
    assert.equal(await tono.inputValue("#f-body"), more);
    assert.equal(await tono.evaluate(() => {
      const s = document.querySelector("#ticket-fields #f-assignee");
      return s.options[s.selectedIndex].text;
    }), "Tono Tech");
    assert.equal(await tono.locator("#assign-me").count(), 0);

    // A canned response goes in at the cursor, on a paragraph of its own.
    await tono.fill("#f-body", "Hello Rina,\nThanks for waiting.");
    await tono.evaluate(() => { const b = document.getElementById("f-body"); b.focus(); b.setSelectionRange(11, 11); });
    await tono.selectOption("#f-canned", { label: "Roller replaced" });
    await tono.click("#canned-insert button[type=submit]");
    await tono.waitForFunction(() => document.querySelector("#f-body").value.includes("roller"));
    assert.equal(await tono.inputValue("#f-body"), "Hello Rina,\n\nWe replaced the roller.\n\nThanks for waiting.");

    // The one Update sends the reply and the status together.
    await tono.selectOption("#ticket-fields #f-status", "pending");
    await tono.click("#update");
    await tono.waitForURL(/#c\d+$/);
    assert.match(await tono.textContent("#comments"), /We replaced the roller/);
    assert.match(await tono.textContent("#ticket-status"), /Pending/);
    assert.equal(await tono.inputValue("#f-body"), "");
    assert.match(await tono.textContent("#history"), /Open → Pending/);
    await tono.reload();
    assert.equal(await tono.inputValue("#f-body"), "", "sent: no draft left in the browser or on the server");
    assert.equal(await tono.locator("#comments li.comment.from-staff").count(), 1);

    await tono.screenshot({ path: join(artifacts, "ticket-page-desktop.png"), fullPage: true });
    await tono.setViewportSize({ width: 360, height: 800 });
    await tono.reload();
    await tono.screenshot({ path: join(artifacts, "ticket-page-360.png"), fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    server.child.kill();
  }
});
