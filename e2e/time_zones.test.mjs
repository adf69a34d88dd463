// Time zones in a real browser (issue #19, part 3): the first sign-in offers the browser's zone;
// taking it shows every time in that zone (the exact time on hover); the organisation's zone,
// set by an admin, is what others see; a browser already in that zone is not asked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { artifacts, startServer, launch, setupAdmin, signIn, createDepartment, createUser } from "./lib.mjs";

const PASSWORD = "jam-dinding-berdetak";

/// The wall time of an instant in a zone, as the pages write it (`2026-12-07 14:38`).
function wall(ms, timeZone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

test("times follow the reader's zone, offered from the browser once", async () => {
  mkdirSync(artifacts, { recursive: true });
  const server = await startServer();
  const browser = await launch();
  try {
    const adminContext = await browser.newContext({ locale: "en-US", timezoneId: "Asia/Tokyo" });
    const admin = await adminContext.newPage();
    await setupAdmin(admin, server, "Siti Admin", "siti@example.com", PASSWORD);

    // The offer names the browser's zone; taking it returns to the same page.
    await admin.goto(`${server.base}/tickets/new`);
    await admin.waitForSelector("#zone-use:not([hidden])");
    assert.match(await admin.textContent("#zone-use"), /Asia\/Tokyo/);
    await admin.setViewportSize({ width: 360, height: 740 });
    await admin.screenshot({ path: join(artifacts, "zone-offer-phone.png") });
    await admin.setViewportSize({ width: 1366, height: 800 });
    await admin.click("#zone-use");
    await admin.waitForURL(`${server.base}/tickets/new`);
    assert.equal(await admin.$("#zone-offer"), null, "asked once");

    await admin.fill("#f-title", "Wall clock is wrong");
    await admin.fill("#f-description", "It says noon.");
    await admin.click("#new-ticket button[type=submit]");
    await admin.waitForURL(/\/tickets\/\d+\?msg=created/);
    const ticketUrl = admin.url().split("?")[0];
    const created = admin.locator(".muted time").first();
    const at = Date.parse(await created.getAttribute("datetime"));
    assert.equal(await created.textContent(), wall(at, "Asia/Tokyo"));
    assert.match(await created.getAttribute("title"), /JST$/, "the exact time and zone on hover");
    // The queue scans by how long ago.
    await admin.goto(`${server.base}/tickets`);
    assert.match(await admin.textContent("td.when"), /just now|min ago/);

    // The organisation's zone, which everyone without their own sees.
    await admin.goto(`${server.base}/admin/organisation`);
    await admin.fill("#f-time_zone", "Asia/Jakarta");
    await admin.click("#save-org");
    await admin.waitForURL(/\/admin\/organisation\?msg=saved/);
    await createDepartment(admin, server.base, "IT");
    await createUser(admin, server.base, { email: "budi@example.com", name: "Budi Tech", role: "Technician", department: "IT", password: PASSWORD });

    // Budi's browser is in Jakarta already: nothing to ask, and times are Jakarta's.
    const budi = await (await browser.newContext({ locale: "en-US", timezoneId: "Asia/Jakarta" })).newPage();
    await signIn(budi, server, "budi@example.com", PASSWORD);
    await budi.waitForFunction(() => { const o = document.getElementById("zone-offer"); return !o || o.hidden; });
    await budi.goto(`${server.base}/profile`);
    assert.equal(await budi.$("#zone-offer"), null, "the quiet answer was kept");
    assert.equal(await budi.inputValue("#f-time_zone"), "", "follows the organisation");
    // The admin's own audit entry is shown in the admin's zone (Tokyo), Budi would see Jakarta.
    await admin.goto(`${server.base}/admin/audit`);
    const entry = admin.locator("table time").first();
    const entryAt = Date.parse(await entry.getAttribute("datetime"));
    assert.equal(await entry.textContent(), wall(entryAt, "Asia/Tokyo"));
    await admin.goto(ticketUrl);
    await admin.screenshot({ path: join(artifacts, "zone-ticket.png"), fullPage: true });
  } finally {
    await browser.close();
    server.child.kill("SIGTERM");
  }
});
