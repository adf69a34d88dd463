// Every page fits a 360 px wide phone: visited as an admin, a requester and signed out, in the
// light and the dark scheme, each fails if the document is wider than the viewport. The pages
// are those the routers serve (lib.rs merges each domain's pages()); pages about one record use
// one made here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { artifacts, startServer, launch, setupAdmin, signIn, createDepartment, createUser } from "./lib.mjs";

const PASSWORD = "kopi-susu-gula-aren";
const WIDTH = 360;

/** POST a form from the signed-in page (its CSRF token), as the browser would; returns the final URL. */
async function post(page, base, path, fields) {
  if (!page.url().startsWith(base)) await page.goto(`${base}/`);
  return page.evaluate(async ({ path, fields }) => {
    const body = new FormData();
    body.set("_csrf", document.querySelector("input[name=_csrf]").value);
    for (const [k, v] of Object.entries(fields)) body.set(k, v);
    const res = await fetch(path, { method: "POST", body: new URLSearchParams(body) });
    return res.url;
  }, { path, fields });
}

/** The first id in links of this list page matching `/prefix/<id>`. */
async function firstId(page, base, list, prefix) {
  await page.goto(`${base}${list}`);
  const hrefs = await page.$$eval("a[href]", (as) => as.map((a) => a.getAttribute("href")));
  const re = new RegExp(`^${prefix}/(\\d+)$`);
  const hit = hrefs.map((h) => h.match(re)).find(Boolean);
  assert.ok(hit, `no ${prefix}/<id> link on ${list}`);
  return hit[1];
}

/** Pages whose document is wider than the viewport, with how wide. */
async function overflowing(page, base, paths, label) {
  const wide = [];
  for (const path of paths) {
    await page.goto(`${base}${path}`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > WIDTH) wide.push(`${label} ${path}: ${width}px`);
  }
  return wide;
}

test("every page fits 360 px, light and dark, admin, requester and signed out", async () => {
  mkdirSync(artifacts, { recursive: true });
  const server = await startServer();
  const browser = await launch();
  try {
    const desk = await browser.newPage({ locale: "en-US" });
    await setupAdmin(desk, server, "Siti Admin", "siti@example.com", PASSWORD);
    await createDepartment(desk, server.base, "Information Technology");
    await createUser(desk, server.base, { email: "rina.requester.with.a.long.address@example.com", name: "Rina Requester", role: "Requester", department: "Information Technology", password: PASSWORD });
    await post(desk, server.base, "/admin/roles", { name: "Helpdesk lead for the second floor", scope: "department", permissions: "tickets.read" });
    await post(desk, server.base, "/admin/categories", { name: "Printers and scanners on every floor", description: "All of them" });
    await post(desk, server.base, "/admin/canned", { name: "Restart first", body: "Please restart the computer and try again." });
    await post(desk, server.base, "/inventory", { name: "LAPTOP-FINANCE-0001-WITH-A-VERY-LONG-HOSTNAME", type: "laptop", status: "in_use" });
    await post(desk, server.base, "/inventory/licenses", { product: "Office 2024 Professional Plus", vendor: "Microsoft", key: "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY", seats: "5" });

    const rinaCtx = await browser.newContext({ locale: "en-US" });
    const rina = await rinaCtx.newPage();
    await signIn(rina, server, "rina.requester.with.a.long.address@example.com", PASSWORD);
    const ticketUrl = await post(rina, server.base, "/tickets", {
      title: "The printer on the second floor prints every page twice and then jams on the third one",
      description: "A long line without spaces: https://intranet.example.com/printers/floor-2/queue/jobs?id=1234567890abcdef1234567890abcdef",
      priority: "high",
    });
    const ticket = new URL(ticketUrl).pathname;
    assert.match(ticket, /^\/tickets\/\d+$/);
    await post(desk, server.base, `${ticket}`, { text: "We are on it.", visibility: "public" }).catch(() => {});

    const ids = {
      user: await firstId(desk, server.base, "/admin/users", "/admin/users"),
      role: await firstId(desk, server.base, "/admin/roles", "/admin/roles"),
      department: await firstId(desk, server.base, "/admin/departments", "/admin/departments"),
      category: await firstId(desk, server.base, "/admin/categories", "/admin/categories"),
      canned: await firstId(desk, server.base, "/admin/canned", "/admin/canned"),
      asset: await firstId(desk, server.base, "/inventory", "/inventory"),
      license: await firstId(desk, server.base, "/inventory/licenses", "/inventory/licenses"),
    };
    // Every GET page of the routers (lib.rs pages(), each domain's pages()).
    const pages = [
      "/", "/tickets", "/tickets?q=nothing-matches-this", "/tickets/new", ticket, "/notifications", "/profile", "/apikeys", "/agent",
      "/admin/users", "/admin/users/new", `/admin/users/${ids.user}`,
      "/admin/roles", "/admin/roles/new", `/admin/roles/${ids.role}`,
      "/admin/departments", "/admin/departments/new", `/admin/departments/${ids.department}`,
      "/admin/categories", `/admin/categories/${ids.category}`,
      "/admin/canned", `/admin/canned/${ids.canned}`,
      "/admin/sla", "/admin/organisation", "/admin/audit", "/admin/metrics",
      "/admin/inventory/collector", "/admin/inventory/agents",
      "/inventory", "/inventory/new", `/inventory/${ids.asset}`, `/inventory/${ids.asset}/edit`, "/inventory/software",
      "/inventory/licenses", `/inventory/licenses/${ids.license}`,
    ];
    const signedOut = ["/login", "/password/forgot", "/password/reset?token=0123456789abcdef", "/setup"];

    const wide = [];
    for (const scheme of ["light", "dark"]) {
      for (const [who, state, paths] of [
        ["admin", await desk.context().storageState(), pages],
        ["requester", await rinaCtx.storageState(), pages],
        ["signed out", undefined, signedOut],
      ]) {
        const ctx = await browser.newContext({ locale: "en-US", viewport: { width: WIDTH, height: 740 }, colorScheme: scheme, storageState: state });
        const page = await ctx.newPage();
        wide.push(...await overflowing(page, server.base, paths, `${who} ${scheme}`));
        if (who === "admin") {
          for (const [name, path] of [["queue", "/tickets"], ["ticket", ticket]]) {
            await page.goto(`${server.base}${path}`);
            await page.screenshot({ path: join(artifacts, `${name}-360-${scheme}.png`), fullPage: true });
          }
          // The menu is folded behind its toggle, which opens it without script.
          await page.goto(`${server.base}/tickets`);
          assert.equal(await page.isVisible(".mainnav"), false);
          await page.click(".nav-toggle-label");
          assert.equal(await page.isVisible(".mainnav a[href='/admin/users']"), true);
        }
        await ctx.close();
      }
    }
    assert.deepEqual(wide, [], `wider than ${WIDTH}px:\n${wide.join("\n")}`);
  } finally {
    await browser.close();
    server.child.kill();
  }
});
