// Live refresh in a real browser: an open ticket list shows a new ticket without a reload; an open
// ticket shows someone else's reply without a reload; and a half-typed reply is never thrown away
// (a notice offers the reload instead).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { artifacts, startServer, launch, setupAdmin, signIn, createDepartment, createUser } from "./lib.mjs";

const PASSWORD = "es-cendol-durian-dingin";

test("lists and tickets refresh live when someone else changes them", async () => {
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

    const tono = await (await browser.newContext({ locale: "en-US" })).newPage();
    watch(tono);
    await signIn(tono, server, "tono@example.com", PASSWORD);
    await tono.goto(`${server.base}/tickets`);
    await tono.evaluate(() => { window.__notReloaded = true; });

    // Rina files a ticket: it appears in Tono's open list, in place.
    const rina = await (await browser.newContext({ locale: "en-US" })).newPage();
    watch(rina);
    await signIn(rina, server, "rina@example.com", PASSWORD);
    await rina.goto(`${server.base}/tickets/new`);
    await rina.fill("#f-title", "Monitor flickers");
    await rina.fill("#f-description", "Every few seconds.");
    await rina.click("#new-ticket button[type=submit]");
    await rina.waitForURL(/\/tickets\/\d+\?msg=created/);
    const ticketUrl = rina.url().split("?")[0];
    await tono.waitForSelector("a:has-text('Monitor flickers')", { timeout: 10000 });
    assert.equal(await tono.evaluate(() => window.__notReloaded), true, "refreshed in place, not reloaded");

    // Rina keeps her ticket open; Tono replies: the reply shows up on her page.
    await rina.goto(ticketUrl);
    await rina.evaluate(() => { window.__notReloaded = true; });
    await tono.goto(ticketUrl);
    await tono.fill("#f-body", "Swapped the cable, does it still flicker?");
    await tono.click("#reply button[type=submit]");
    await tono.waitForURL(/#c\d+$/);
    await rina.waitForSelector("text=Swapped the cable", { timeout: 10000 });
    assert.equal(await rina.evaluate(() => window.__notReloaded), true);
    await rina.screenshot({ path: join(artifacts, "live-ticket.png"), fullPage: true });

    // Rina is typing when Tono changes the status: her text stays, a notice offers the reload.
    await rina.fill("#f-body", "Half-typed answer");
    await tono.goto(ticketUrl);
    await tono.selectOption("#ticket-fields #f-status", "pending");
    await tono.click("#ticket-fields button[type=submit]");
    await tono.waitForURL(/msg=saved/);
    await rina.waitForSelector("#live-notice:not([hidden])", { timeout: 10000 });
    assert.equal(await rina.inputValue("#f-body"), "Half-typed answer");
    assert.deepEqual(csp, []);
  } finally {
    await browser.close();
    server.child.kill();
  }
});
