// The queue at desk and phone sizes: how many tickets fit above the fold at 1366x800, the total
// with previous/next paging, closed tickets out of the default view, an empty search named, the
// compact mode remembered; screenshots of the queue and a ticket at 1366 and 360 px wide.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { artifacts, startServer, launch, setupAdmin, createDepartment } from "./lib.mjs";

const PASSWORD = "kopi-susu-gula-aren";
const BEFORE = process.env.QUEUE_MEASURE_ONLY === "1";


async function file(page, base, n, prefix) {
  await page.goto(`${base}/tickets/new`);
  return page.evaluate(async ({ n, prefix }) => {
    const csrf = document.querySelector("input[name=_csrf]").value;
    const out = [];
    for (let i = 1; i <= n; i++) {
      const body = new FormData();
      body.set("_csrf", csrf);
      body.set("title", `${prefix} ${i}: the printer on the second floor prints every page twice and jams on the third`);
      body.set("description", `Ticket ${i}.`);
      body.set("priority", ["low", "normal", "high", "urgent"][i % 4]);
      const res = await fetch("/tickets", { method: "POST", body });
      out.push(Number(new URL(res.url).pathname.split("/").pop()));
    }
    return out;
  }, { n, prefix });
}

/** Tickets whose row is wholly inside the viewport. */
function visibleRows(page) {
  return page.evaluate(() => {
    const h = window.innerHeight;
    return [...document.querySelectorAll("table.tickets tbody tr[data-id]")].filter((tr) => {
      const r = tr.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= h && r.height > 0;
    }).length;
  });
}

test("the queue: dense rows, totals and paging, closed hidden, phone sizes", async () => {
  mkdirSync(artifacts, { recursive: true });
  const server = await startServer();
  const browser = await launch();
  try {
    const ctx = await browser.newContext({ locale: "en-US", viewport: { width: 1366, height: 800 } });
    const admin = await ctx.newPage();
    await setupAdmin(admin, server, "Siti Admin", "siti@example.com", PASSWORD);
    await createDepartment(admin, server.base, "IT");
    // The one-time time-zone offer is answered, as on anyone's first day.
    await Promise.all([admin.waitForNavigation(), admin.click("#zone-keep")]);
    const ids = await file(admin, server.base, 120, "Queue");
    assert.equal(ids.length, 120);

    await admin.goto(`${server.base}/tickets`);
    const rows = await visibleRows(admin);
    console.log(`tickets visible above the fold at 1366x800: ${rows}`);
    await admin.screenshot({ path: join(artifacts, BEFORE ? "queue-1366-before.png" : "queue-1366.png") });
    if (BEFORE) return;
    assert.ok(rows >= 15, `only ${rows} tickets above the fold`);
    // The views the counters cannot answer are counted after the page, by our script.
    await admin.waitForSelector("#builtin-views a[data-view='view=unassigned'] .count:not([hidden])");
    assert.equal((await admin.textContent("#builtin-views a[data-view='view=unassigned'] .count")).trim(), "120");
    // The list's server time, for the report (navigation timing: request start to response end).
    const serverMs = await admin.evaluate(() => { const n = performance.getEntriesByType("navigation")[0]; return Math.round(n.responseStart - n.requestStart); });
    console.log(`list time to first byte: ${serverMs} ms`);

    // The total, next, the page numbers and previous.
    const total = () => admin.textContent("#queue-total");
    assert.match(await total(), /^1–50 of 120$/);
    await admin.click("#pager-top a[rel=next]");
    assert.match(await total(), /^51–100 of 120$/);
    assert.equal(await admin.getAttribute("table.tickets tbody tr[data-id]", "data-id"), "70");
    await admin.click("#pager-bottom a[rel=next]");
    assert.match(await total(), /^101–120 of 120$/);
    assert.equal(await admin.locator("#pager-top a[rel=next]").count(), 0);
    await admin.click("#pager-top a[rel=prev]");
    assert.match(await total(), /^51–100 of 120$/);
    assert.equal(await admin.getAttribute("table.tickets tbody tr[data-id]", "data-id"), "70");
    await admin.click("#pager-top a[rel=prev]");
    assert.match(await total(), /^1–50 of 120$/);
    assert.equal(await admin.locator("#pager-top a[rel=prev]").count(), 0);
    await admin.click("#pager-top a.num:text-is('3')");
    assert.match(await total(), /^101–120 of 120$/);

    // Closed tickets leave the default view; "Any, closed too" brings them back.
    await admin.goto(`${server.base}/tickets`);
    await admin.check('table.tickets input[value="120"]');
    await admin.selectOption("#b-status", "closed");
    await admin.click("#bulk button[type=submit]");
    await admin.waitForURL(/msg=saved/);
    assert.match(await total(), /^1–50 of 119$/);
    assert.equal(await admin.locator('table.tickets tr[data-id="120"]').count(), 0);
    assert.equal(await admin.textContent('.count[data-status="closed"]'), "1");
    await admin.selectOption("#f-status", "new,open,pending,resolved,closed");
    await admin.click(".filters > button[type=submit]");
    assert.match(await total(), /^1–50 of 120$/);

    // The side panel counts follow the view: "Unassigned" counts its own tickets.
    await admin.goto(`${server.base}/tickets?view=unassigned`);
    assert.equal(await admin.textContent('.count[data-status="new"]'), "119");
    assert.equal(await admin.textContent('.count[data-status="closed"]'), "1");

    // An empty search says so, with the query.
    await admin.goto(`${server.base}/tickets`);
    await admin.fill("#f-q", "zebracorn");
    await admin.press("#f-q", "Enter");
    await admin.waitForURL(/q=zebracorn/);
    assert.match(await admin.textContent("#queue-empty"), /No tickets match “zebracorn”/);

    // Compact rows, remembered on the next visit.
    await admin.goto(`${server.base}/tickets`);
    await admin.click("#density");
    assert.equal(await admin.locator(".queue.compact").count(), 1);
    const compactRows = await visibleRows(admin);
    console.log(`tickets visible above the fold at 1366x800, compact: ${compactRows}`);
    assert.ok(compactRows > rows);
    await admin.screenshot({ path: join(artifacts, "queue-1366-compact.png") });
    await admin.goto(`${server.base}/tickets`);
    assert.equal(await admin.locator(".queue.compact").count(), 1);
    await admin.click("#density");
    assert.equal(await admin.locator(".queue.compact").count(), 0);

    // The ticket page at desk size (the phone sizes are in phones.test.mjs).
    await admin.goto(`${server.base}/tickets/${ids[0]}`);
    await admin.screenshot({ path: join(artifacts, "ticket-1366.png") });
  } finally {
    await browser.close();
    server.child.kill();
  }
});
