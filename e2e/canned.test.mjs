// Canned responses and saved views in a real browser: an admin writes a canned response on the
// admin page, inserts it into a ticket's reply box (in place with our script, and by reloading
// without it), sends it and sees it filled in for the requester and ticket; then saves a
// filtered list as a view and opens it again from the sidebar.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { artifacts, startServer, launch, setupAdmin, signIn, createDepartment, createUser } from "./lib.mjs";

const PASSWORD = "es-teler-kelapa-muda";

async function fileTicket(page, base, title, priority) {
  await page.goto(`${base}/tickets/new`);
  await page.fill("#f-title", title);
  await page.fill("#f-description", "Please help.");
  await page.selectOption("#f-priority", priority);
  await page.click("#new-ticket button[type=submit]");
  await page.waitForURL(/\/tickets\/\d+\?msg=created/);
  return page.url().split("?")[0];
}

test("admin writes a canned response, replies with it, and saves a list view", async () => {
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
    await createUser(admin, server.base, { email: "rina@example.com", name: "Rina Requester", role: "Requester", department: "IT", password: PASSWORD });

    // The canned response, written on its admin page (reached from the navigation).
    await admin.click("nav.mainnav a[href='/admin/canned']");
    await admin.waitForURL(`${server.base}/admin/canned`);
    await admin.fill("#f-name", "Roller replaced");
    await admin.fill("#f-body", "Hello {{requester_name}}, we replaced the roller for {{ticket_number}} ({{ticket_title}}).\n\n{{agent_name}}");
    await admin.click("#canned-form button[type=submit]");
    await admin.waitForURL(/\/admin\/canned\?msg=saved/);
    assert.match(await admin.textContent("#canned-list"), /Roller replaced/);

    // The requester files two tickets.
    const rina = await (await browser.newContext({ locale: "en-US" })).newPage();
    watch(rina);
    await signIn(rina, server, "rina@example.com", PASSWORD);
    const printerUrl = await fileTicket(rina, server.base, "Printer jams", "high");
    const printerId = printerUrl.split("/").pop();
    await fileTicket(rina, server.base, "New mousepad", "low");

    // With our script, "Insert" fills the reply box in place, after what is already typed.
    await admin.goto(printerUrl);
    await admin.fill("#f-body", "Good news!\n\n");
    await admin.selectOption("#f-canned", { label: "Roller replaced" });
    await admin.click("#canned-insert button[type=submit]");
    const expanded = `Hello Rina Requester, we replaced the roller for #${printerId} (Printer jams).`;
    await admin.waitForFunction((text) => document.querySelector("#f-body").value.includes(text), expanded);
    assert.equal(admin.url(), printerUrl, "no reload");
    assert.equal(await admin.inputValue("#f-body"), `Good news!\n\n${expanded}\n\nSiti Admin`);

    // Without script, the same form reloads the page with the box pre-filled.
    const plain = await (await browser.newContext({ locale: "en-US", javaScriptEnabled: false })).newPage();
    await signIn(plain, server, "siti@example.com", PASSWORD);
    await plain.goto(printerUrl);
    await plain.selectOption("#f-canned", { label: "Roller replaced" });
    await plain.click("#canned-insert button[type=submit]");
    await plain.waitForURL(/\?canned=\d+#reply$/);
    assert.equal(await plain.inputValue("#f-body"), `${expanded}\n\nSiti Admin`);

    // Sent, it is in the conversation, filled in for this requester and ticket.
    await admin.click("#reply button[type=submit]");
    await admin.waitForURL(/#c\d+$/);
    assert.match(await admin.textContent("#comments"), new RegExp(`Hello Rina Requester, we replaced the roller for #${printerId} \\(Printer jams\\)`));
    await admin.screenshot({ path: join(artifacts, "canned-reply.png"), fullPage: true });
    await rina.goto(printerUrl);
    assert.match(await rina.textContent("#comments"), /we replaced the roller/);
    assert.equal(await rina.locator("#canned-insert").count(), 0, "requesters are not offered canned responses");

    // A filtered list saved as a view, then opened again from the sidebar.
    await admin.goto(`${server.base}/tickets`);
    await admin.click(".more-filters summary"); // priority is under "More filters"
    await admin.selectOption(".filters #f-priority", "high");
    await admin.click(".filters button[type=submit]");
    await admin.waitForURL(/priority=high/);
    await admin.fill("#f-view-name", "Hot tickets");
    await admin.click("#save-view button[type=submit]");
    await admin.waitForURL(/msg=saved/);
    await admin.goto(`${server.base}/tickets`);
    assert.equal(await admin.locator("table.tickets tbody tr[data-id]").count(), 2);
    await admin.click("#saved-views a:has-text('Hot tickets')");
    await admin.waitForURL((url) => url.pathname === "/tickets" && url.searchParams.get("priority") === "high");
    assert.equal(await admin.getAttribute("#saved-views a:has-text('Hot tickets')", "aria-current"), "page");
    const rows = admin.locator("table.tickets tbody tr[data-id]");
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().textContent(), /Printer jams/);
    await admin.screenshot({ path: join(artifacts, "saved-view.png"), fullPage: true });
    assert.deepEqual(csp, []);
  } finally {
    await browser.close();
    server.child.kill("SIGTERM");
  }
});
