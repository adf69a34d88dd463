// SLA in a real browser: an admin sets working hours (round the clock, so the test does not
// depend on the time of day) and a one-minute first-response target on /admin/sla, files a
// ticket, sees its due times on the ticket page, and watches the list badge go from "At risk"
// to "SLA breached" as real time passes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { artifacts, startServer, launch, setupAdmin } from "./lib.mjs";

const PASSWORD = "kopi-susu-gula-aren";
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const input = (name) => `input[name="${name}"]`;

test("admin sets an SLA policy, files a ticket and sees its due time and badge", { timeout: 180_000 }, async () => {
  mkdirSync(artifacts, { recursive: true });
  const server = await startServer();
  const browser = await launch();
  const csp = [];
  try {
    const page = await browser.newPage({ locale: "en-US" });
    page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
    await setupAdmin(page, server, "Siti Admin", "siti@example.com", PASSWORD);

    // The SLA page is in the admin navigation.
    await page.click("nav >> text=SLA");
    await page.waitForURL(`${server.base}/admin/sla`);
    assert.equal(await page.inputValue("#f-start-mon"), "08:00");

    // A typo comes back as a field error, with what was typed kept, in both halves of the one
    // form: hours typed beside a wrong target are not lost (issue #19).
    await page.fill(input("first_response_minutes.normal"), "soon");
    await page.fill("#f-start-sat", "09:00");
    await page.fill("#f-end-sat", "12:00");
    await page.click("#save-sla");
    assert.match(await page.textContent("#sla-policies"), /must be a whole number of minutes/);
    assert.equal(await page.inputValue(input("first_response_minutes.normal")), "soon");
    assert.equal(await page.inputValue("#f-end-sat"), "12:00");
    await page.fill(input("first_response_minutes.normal"), "");

    // Round-the-clock working hours, then a one-minute first response for normal tickets.
    for (const d of DAYS) {
      await page.fill(`#f-start-${d}`, "00:00");
      await page.fill(`#f-end-${d}`, "24:00");
    }
    await page.fill("#f-holidays", "2099-12-25 Natal");
    await page.click("#save-sla");
    await page.waitForURL(/\/admin\/sla\?msg=saved/);
    assert.equal(await page.inputValue("#f-end-sun"), "24:00");
    await page.fill(input("first_response_minutes.normal"), "1");
    await page.fill(input("resolution_minutes.normal"), "600");
    await page.click("#save-sla");
    await page.waitForURL(/\/admin\/sla\?msg=saved/);
    assert.equal(await page.inputValue(input("first_response_minutes.normal")), "1");
    await page.screenshot({ path: join(artifacts, "sla-admin.png"), fullPage: true });

    // File a ticket: its page shows both due times.
    await page.goto(`${server.base}/tickets/new`);
    await page.fill("#f-title", "Projector in room 3 is blank");
    const filed = Date.now();
    await page.click("#new-ticket button[type=submit]");
    await page.waitForURL(/\/tickets\/\d+\?msg=created/);
    const firstDue = Date.parse(await page.getAttribute("#first-response-due time", "datetime"));
    const resolutionDue = Date.parse(await page.getAttribute("#resolution-due time", "datetime"));
    assert.ok(Math.abs(firstDue - (filed + 60_000)) < 20_000, `first response due ${new Date(firstDue).toISOString()}`);
    assert.ok(Math.abs(resolutionDue - (filed + 600 * 60_000)) < 20_000, `resolution due ${new Date(resolutionDue).toISOString()}`);
    assert.match(await page.textContent("#sla"), /First response due/);
    // Shown in the organisation's zone (the working hours' UTC+07:00 until an admin picks one):
    // the local minute, then how long until it.
    const local = new Date(firstDue + 7 * 3_600_000).toISOString().slice(0, 16).replace("T", " ");
    assert.match(await page.textContent("#first-response-due"), new RegExp(`^${local} · in \\d+ min$|^${local} · just now$`));
    await page.screenshot({ path: join(artifacts, "sla-ticket.png"), fullPage: true });

    // Past 80 % of the minute the list shows "At risk"; past the minute, "SLA breached".
    const waitUntil = async (ms) => { const left = filed + ms - Date.now(); if (left > 0) await page.waitForTimeout(left); };
    await waitUntil(52_000);
    await page.goto(`${server.base}/tickets`);
    const row = page.locator("table.tickets tr", { hasText: "Projector in room 3" });
    assert.equal((await row.locator(".sla-at_risk").textContent()).trim(), "At risk");
    await waitUntil(62_000);
    await page.reload();
    assert.equal((await row.locator(".sla-breached").textContent()).trim(), "SLA breached");
    await page.screenshot({ path: join(artifacts, "sla-list.png"), fullPage: true });
    assert.deepEqual(csp, []);
  } finally {
    await browser.close();
    server.child.kill("SIGTERM");
  }
});
