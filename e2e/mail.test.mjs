// The email channel in a real browser against a real Dovecot (issue #21): an admin adds a
// mailbox on /admin/mailboxes, tests the connection (a wrong password first: the page names the
// step that failed), fixes it, a mail arrives in the Maildir, "Fetch now" takes it, and the
// ticket opens with its "via email" mark and the original message. Screenshots at desktop and
// phone width are kept in artifacts/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { artifacts, startServer, launch, setupAdmin } from "./lib.mjs";

const PASSWORD = "soto-ayam-lamongan";
const DOVECOT = ["/usr/sbin/dovecot", "/usr/bin/dovecot"].find((p) => existsSync(p));
const skip = DOVECOT ? false : "needs dovecot (.ci/run installs dovecot-imapd)";

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A throwaway Dovecot: IMAP over TLS on a free port, one static password, Maildirs. */
async function startDovecot() {
  const dir = mkdtempSync(join(tmpdir(), "piket-dovecot-"));
  // The mail processes run as nobody when this runs as root: they must reach the homes.
  chmodSync(dir, 0o755);
  for (const d of ["run", "state", "home"]) mkdirSync(join(dir, d));
  chmodSync(join(dir, "home"), 0o777);
  const ssl = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
  assert.equal(ssl.status, 0, "openssl");
  const root = process.getuid() === 0;
  const uid = root ? 65534 : process.getuid();
  const gid = root ? 65534 : process.getgid();
  const user = root ? "nobody" : spawnSync("id", ["-un"]).stdout.toString().trim();
  const group = root ? "nogroup" : spawnSync("id", ["-gn"]).stdout.toString().trim();
  const imaps = await freePort();
  const imap = await freePort();
  writeFileSync(join(dir, "dovecot.conf"), `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
default_internal_user = ${user}
default_login_user = ${user}
default_internal_group = ${group}
ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
disable_plaintext_auth = no
mail_location = maildir:~/Maildir
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${dir}/home/%u
}
service anvil {
  chroot =
}
service stats {
  chroot =
}
service imap-login {
  chroot =
  inet_listener imap {
    port = ${imap}
  }
  inet_listener imaps {
    port = ${imaps}
  }
}
`);
  const child = spawn(DOVECOT, ["-F", "-c", join(dir, "dovecot.conf")], { stdio: "ignore", detached: true });
  const maildir = join(dir, "home", "desk", "Maildir");
  for (const d of ["", "new", "cur", "tmp"]) {
    mkdirSync(join(maildir, d), { recursive: true });
    chmodSync(join(maildir, d), 0o777);
  }
  chmodSync(join(dir, "home", "desk"), 0o777);
  let n = 0;
  return {
    imaps,
    deliver(raw) {
      const name = `${Date.now()}.${n++}.piket-e2e`;
      writeFileSync(join(maildir, "tmp", name), raw, { mode: 0o666 });
      renameSync(join(maildir, "tmp", name), join(maildir, "new", name));
    },
    stop() {
      try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ }
      if (!process.env.KEEP_DOVECOT) rmSync(dir, { recursive: true, force: true });
    },
  };
}

test("an admin adds a mailbox, tests it, fetches a mail and opens the ticket it made", { skip, timeout: 180_000 }, async () => {
  mkdirSync(artifacts, { recursive: true });
  const dovecot = await startDovecot();
  const server = await startServer();
  const browser = await launch();
  try {
    const page = await browser.newPage({ locale: "en-US" });
    await setupAdmin(page, server, "Siti Admin", "siti@example.com", PASSWORD);
    await page.click("nav >> text=Mailboxes");
    await page.waitForURL(`${server.base}/admin/mailboxes`);
    await page.click("#new-mailbox");
    await page.fill("#f-name", "Support");
    await page.fill("#f-host", "localhost");
    await page.fill("#f-port", String(dovecot.imaps));
    await page.fill("#f-username", "desk");
    await page.fill("#f-password", "wrong-password");
    // The test server's certificate is self-signed.
    await page.uncheck('input[name="tls_verify"]');
    await page.fill("#f-reply_address", "support@piket.test");
    await page.click("#save-mailbox");
    await page.waitForURL(/\/admin\/mailboxes\/\d+\?msg=saved/);
    // The password is not shown again.
    assert.equal(await page.inputValue("#f-password"), "");

    await page.click("#test-connection");
    const failed = await page.textContent("#test-result");
    assert.match(failed, /failed at: signing in/, failed);
    await page.fill("#f-password", "secret");
    await page.click("#save-mailbox");
    await page.waitForURL(/msg=saved/);
    await page.click("#test-connection");
    assert.match(await page.textContent("#test-result"), /The connection works: 0 mails/);
    await page.screenshot({ path: join(artifacts, "mailbox-form.png"), fullPage: true });

    dovecot.deliver("From: Ana Putri <ana@example.com>\r\nTo: support@piket.test\r\nSubject: Projector flickers\r\n"
      + "Message-ID: <e2e-1@example.com>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
      + "<p>The projector in <b>room 2</b> flickers.</p>\r\n");
    await page.click("#fetch-now");
    await page.waitForURL(/msg=fetched/);
    assert.match(await page.textContent("#mailbox-state"), /Taken: 1|1 of 1 taken/);

    await page.goto(`${server.base}/tickets`);
    await page.click("text=Projector flickers");
    await page.waitForURL(/\/tickets\/\d+$/);
    assert.match(await page.textContent(".description"), /room 2/);
    assert.match(await page.textContent("#ticket"), /via email/);
    assert.match(await page.textContent("#ticket-mails"), /no thread header or token matched/);
    const eml = await page.getAttribute("#ticket-mails a", "href");
    const res = await page.request.get(`${server.base}${eml}`);
    assert.equal(res.status(), 200);
    assert.match(await res.text(), /Message-ID: <e2e-1@example.com>/);
    await page.screenshot({ path: join(artifacts, "mail-ticket.png"), fullPage: true });

    // At phone width the form and the list stay usable.
    await page.setViewportSize({ width: 360, height: 780 });
    await page.goto(`${server.base}/admin/mailboxes`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the mailbox list is ${overflow}px wider than the phone`);
    await page.screenshot({ path: join(artifacts, "mailboxes-phone.png"), fullPage: true });
  } finally {
    await browser.close();
    server.child.kill("SIGTERM");
    dovecot.stop();
  }
});
