// Notifications in a real browser: a requester replies on a technician's ticket, the technician
// sees the count in the top bar, opens the notification (which leads to the ticket and marks it
// read), then mutes public replies and hears of the next one no more.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { artifacts, startServer, launch, setupAdmin, signIn, createDepartment, createUser } from "./lib.mjs";

const PASSWORD = "teh-manis-hangat-sore";

test("the bell counts a requester's reply, opens the ticket, and mutes work", async () => {
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

    // Rina files a ticket; the admin assigns it to Tono.
    const rina = await (await browser.newContext({ locale: "en-US" })).newPage();
    watch(rina);
    await signIn(rina, server, "rina@example.com", PASSWORD);
    await rina.goto(`${server.base}/tickets/new`);
    await rina.fill("#f-title", "Laptop fan is loud");
    await rina.fill("#f-description", "Since Monday.");
    await rina.click("#new-ticket button[type=submit]");
    await rina.waitForURL(/\/tickets\/\d+\?msg=created/);
    const ticketUrl = rina.url().split("?")[0];
    await admin.goto(ticketUrl);
    await admin.selectOption("#ticket-fields #f-assignee", { label: "Tono Tech" });
    await admin.click("#ticket-fields button[type=submit]");
    await admin.waitForURL(/msg=saved/);

    // Tono: one unread (the assignment); Rina replies: two.
    const tono = await (await browser.newContext({ locale: "en-US" })).newPage();
    watch(tono);
    await signIn(tono, server, "tono@example.com", PASSWORD);
    assert.equal((await tono.textContent("#unread-count")).trim(), "1");
    await rina.goto(ticketUrl);
    await rina.fill("#f-body", "Now it also smells hot");
    await rina.click("#reply button[type=submit]");
    await rina.waitForURL(/#c\d+$/);
    await tono.reload();
    assert.equal((await tono.textContent("#unread-count")).trim(), "2");

    // Open the newest: it leads to the ticket and is read afterwards.
    await tono.click("#bell");
    await tono.waitForURL(`${server.base}/notifications`);
    const newest = tono.locator("ul.notifications li.unread button").first();
    assert.match(await newest.textContent(), /Rina Requester replied on #\d+ Laptop fan is loud/);
    await newest.click();
    await tono.waitForURL(ticketUrl);
    assert.equal((await tono.textContent("#unread-count")).trim(), "1");
    await tono.screenshot({ path: join(artifacts, "notifications-ticket.png"), fullPage: true });

    // Mute public replies; Rina's next reply adds nothing.
    await tono.goto(`${server.base}/notifications`);
    await tono.uncheck('input[name=kind][value=reply]');
    await tono.click("#save-notifications");
    await tono.waitForURL(/\/notifications\?msg=saved/);
    assert.equal(await tono.isChecked('input[name=kind][value=reply]'), false);
    await tono.click("#read-all");
    await tono.waitForURL(`${server.base}/notifications`);
    await rina.fill("#f-body", "And now it stopped");
    await rina.click("#reply button[type=submit]");
    await rina.waitForURL(/#c\d+$/);
    await tono.goto(`${server.base}/`);
    assert.equal(await tono.locator("#unread-count").count(), 0);
    await tono.screenshot({ path: join(artifacts, "notifications.png"), fullPage: true });
    assert.deepEqual(csp, []);
  } finally {
    await browser.close();
    server.child.kill();
  }
});
