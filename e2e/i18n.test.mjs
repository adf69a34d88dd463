// Indonesian and Greek pages in a real browser: the main pages (home, ticket list, a ticket with
// status and priority changes in its history, new ticket, inventory list and a device, roles and the
// role editor, the audit log) show none of the catalog's English texts that the language
// translates. The list comes from en.toml against id.toml / el.toml; texts a translation keeps
// (brand words such as "SLA", "CSV") never differ, so they are not on it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { artifacts, here, startServer, launch, setupAdmin, signIn, createDepartment, createUser } from "./lib.mjs";

const PASSWORD = "kopi-susu-gula-aren";
const CATALOG = join(here, "..", "crates", "piket-server", "src", "i18n");
// Words the translations may keep as they are, even inside a longer text.
const BRANDS = new Set(["Piket", "SLA", "CSV", "API", "Email"]);

/** The one-line `key = "text"` entries of a catalog file (multi-line email bodies are not pages). */
function catalog(lang) {
  const out = new Map();
  for (const line of readFileSync(join(CATALOG, `${lang}.toml`), "utf8").split("\n")) {
    const m = line.match(/^([a-z0-9_]+) = (".*")$/);
    if (m) out.set(m[1], JSON.parse(m[2]));
  }
  return out;
}

/** English texts the language translates: differing, more than 3 letters, not a brand word.
 * Texts added to en.toml but not yet to the language count as translated-differently (absent). */
function englishTexts(lang) {
  const en = catalog("en");
  const other = catalog(lang);
  const texts = new Set();
  for (const [key, text] of en) {
    // A translation that keeps the English text inside its own ("Μνήμη RAM (MB)") keeps it on purpose.
    if ((other.get(key) || "").includes(text) || BRANDS.has(text)) continue;
    if ((text.match(/\p{L}/gu) || []).length <= 3) continue;
    texts.add(text);
  }
  return [...texts];
}

/** What a reader sees on the page: its text, option labels, placeholders, titles, labels. */
async function visibleText(page) {
  return page.evaluate(() => {
    const parts = [document.title, document.body.innerText];
    for (const el of document.querySelectorAll("option, [placeholder], [title], [aria-label]")) {
      parts.push(el.tagName === "OPTION" ? el.textContent : "");
      for (const a of ["placeholder", "title", "aria-label"]) parts.push(el.getAttribute(a) || "");
    }
    return parts.join("\n");
  });
}

/** The English texts found on the page as whole words (not inside a longer word). */
function englishOn(text, texts) {
  return texts.filter((t) => {
    let at = text.indexOf(t);
    while (at >= 0) {
      const before = text[at - 1] || " ";
      const after = text[at + t.length] || " ";
      if (!/[\p{L}\p{N}_]/u.test(before) && !/[\p{L}\p{N}_]/u.test(after)) return true;
      at = text.indexOf(t, at + 1);
    }
    return false;
  });
}

test("Indonesian and Greek pages show no English catalog text", async () => {
  mkdirSync(artifacts, { recursive: true });
  const server = await startServer();
  const browser = await launch();
  try {
    // Data in neither English nor the languages under test, so it cannot look like a leftover.
    const admin = await browser.newPage({ locale: "en-US" });
    await setupAdmin(admin, server, "Siti Rahma", "siti@example.com", PASSWORD);
    await createDepartment(admin, server.base, "TI");
    await createUser(admin, server.base, { email: "tono@example.com", name: "Tono Wijaya", role: "Technician", department: "TI", password: PASSWORD });
    await createUser(admin, server.base, { email: "rina@example.com", name: "Rina Sari", role: "Requester", department: "TI", password: PASSWORD });
    // A custom role, so the list holds one that keeps its own name.
    await admin.goto(`${server.base}/admin/roles/new`);
    await admin.fill("#f-name", "Kasir");
    await admin.check("input[name=permissions][value='tickets.read']");
    await admin.click("main form button[type=submit].primary");
    await admin.waitForURL(/\/admin\/roles\?msg=created/);

    await admin.goto(`${server.base}/tickets/new`);
    await admin.fill("#f-title", "Kertas macet di lantai 2");
    await admin.fill("#f-description", "Setiap halaman kedua.");
    await admin.click("#new-ticket button[type=submit]");
    await admin.waitForURL(/\/tickets\/\d+\?msg=created/);
    const ticketUrl = admin.url().split("?")[0];
    await admin.selectOption("#ticket-fields #f-status", "pending");
    await admin.selectOption("#ticket-fields #f-priority", "high");
    await admin.click("#ticket-fields button[type=submit]");
    await admin.waitForURL(/msg=saved/);

    await admin.goto(`${server.base}/inventory/new`);
    await admin.fill("#f-name", "Komputer Rina");
    await admin.selectOption("#f-type", "laptop");
    await admin.click("#asset-form button[type=submit]");
    await admin.waitForURL(/\/inventory\/\d+\?msg=created$/);
    const deviceUrl = admin.url().split("?")[0];
    await admin.click("#edit-asset");
    await admin.waitForURL(`${deviceUrl}/edit`);
    await admin.selectOption("#f-status", "in_repair");
    await admin.click("#asset-form button[type=submit]");
    await admin.waitForURL(/msg=saved/);

    const pages = [
      ["home", "/"],
      ["ticket list", "/tickets"],
      ["ticket", ticketUrl.replace(server.base, "")],
      ["new ticket", "/tickets/new"],
      ["inventory", "/inventory"],
      ["device", deviceUrl.replace(server.base, "")],
      ["device form", `${deviceUrl.replace(server.base, "")}/edit`],
      ["roles", "/admin/roles"],
      ["role editor", "/admin/roles/new"],
      ["users", "/admin/users"],
      ["audit", "/admin/audit"],
      ["organisation", "/admin/organisation"],
      ["profile", "/profile"],
    ];
    const expected = {
      id: { role: "Admin utama", status: "Menunggu", priority: "Tinggi", action: "Membuat pengguna", perm: "Menugaskan tiket" },
      el: { role: "Υπερδιαχειριστής", status: "Σε αναμονή", priority: "Υψηλή", action: "Δημιούργησε χρήστη", perm: "Ανάθεση αιτημάτων" },
    };
    for (const [lang, browserLocale] of [["id", "id-ID"], ["el", "el-GR"]]) {
      const texts = englishTexts(lang);
      assert.ok(texts.length > 300, `${lang}: only ${texts.length} English texts to look for`);
      const page = await (await browser.newContext({ locale: browserLocale })).newPage();
      await signIn(page, server, "siti@example.com", PASSWORD);
      // The profile's language chooser offers the language (the admin's account says English).
      await page.goto(`${server.base}/profile`);
      await page.selectOption("#f-locale", lang);
      await page.click("#save-profile");
      await page.waitForFunction((l) => document.documentElement.lang === l, lang);
      const found = [];
      for (const [name, path] of pages) {
        await page.goto(`${server.base}${path}`);
        assert.equal(await page.getAttribute("html", "lang"), lang, `${name} in ${lang}`);
        const seen = await visibleText(page);
        for (const t of englishOn(seen, texts)) {
          const at = seen.indexOf(t);
          found.push(`${name}: ${JSON.stringify(t)} in …${seen.slice(Math.max(0, at - 40), at + t.length + 40)}…`);
        }
      }
      assert.deepEqual(found, [], `English on ${lang} pages`);

      // Names from data, in words of the language (codes stay in the API).
      const e = expected[lang];
      await page.goto(ticketUrl);
      const history = await page.textContent("#history");
      assert.ok(history.includes(e.status) && history.includes(e.priority), history);
      if (lang === "el") {
        await page.setViewportSize({ width: 1366, height: 900 });
        await page.screenshot({ path: join(artifacts, "ticket-el.png"), fullPage: true });
      }
      await page.goto(`${server.base}/admin/roles`);
      const roles = await page.textContent("main");
      assert.ok(roles.includes(e.role) && roles.includes("Kasir"), roles);
      await page.goto(`${server.base}/admin/roles/new`);
      assert.ok((await page.textContent("main")).includes(e.perm));
      if (lang === "el") await page.screenshot({ path: join(artifacts, "role-editor-el.png"), fullPage: true });
      await page.goto(`${server.base}/admin/audit`);
      assert.ok((await page.textContent("main")).includes(e.action));
      if (lang === "el") await page.screenshot({ path: join(artifacts, "audit-el.png") });
      await page.close();
    }

    // The sign-in page's language switch offers Greek, and choosing it sticks.
    const visitor = await (await browser.newContext({ locale: "en-US" })).newPage();
    await visitor.goto(`${server.base}/login`);
    await visitor.selectOption("#lang-select", "el");
    await visitor.click("form.langswitch button[type=submit]");
    await visitor.waitForFunction(() => document.documentElement.lang === "el");
    await visitor.goto(`${server.base}/login`);
    assert.equal(await visitor.getAttribute("html", "lang"), "el");
    assert.match(await visitor.textContent("h1"), /Σύνδεση στο Piket/);
  } finally {
    await browser.close();
    server.child.kill();
  }
});
