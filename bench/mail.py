#!/usr/bin/env python3
"""Email channel benchmark (issue #21): a real Dovecot mailbox of 10 000 mixed mails fetched
and turned into tickets by a release `piket serve`, against the same mails parsed by
`mail-parser` alone (`bench/mail-parse`) in the same run; and the server's memory while it
fetches one 25 MB mail.

  figure                     Piket                                      reference
  mails to tickets per s     the mailbox's background fetcher (IMAP     mail-parse over the same
                             over TLS, IDLE): first to last recorded    Maildir files (median of 3)
  memory, one 25 MB mail     server VmHWM - VmRSS before, fresh server  the mail's size
  (context)                  the same                                   POST /api/v1/tickets, one
                                                                        client, 2 000 tickets

Builds nothing: `cargo build --release -p piket-server -p mail-parse` first; needs Dovecot
(`apt-get install dovecot-imapd`) and openssl. Runs as root or not (as root Dovecot's mail
processes run as nobody). Exits 0 when everything was measured, 1 when something failed.
"""
import argparse
import base64
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import foundation as fb  # noqa: E402  (shared process helpers)

ROOT = fb.ROOT
MAILBOXES = "/api/v1/mailboxes"


def status_kb(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise fb.BenchError(f"no {field} for pid {pid}")


class Dovecot:
    """A throwaway Dovecot on a free port with Maildirs under a temp directory."""

    def __init__(self, tmp):
        self.dir = Path(tmp) / "dovecot"
        for d in ("run", "state", "home"):
            (self.dir / d).mkdir(parents=True)
        os.chmod(self.dir, 0o755)
        os.chmod(self.dir / "home", 0o777)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=localhost", "-keyout", str(self.dir / "key.pem"),
                        "-out", str(self.dir / "cert.pem")], check=True, capture_output=True)
        root = os.getuid() == 0
        uid, gid = (65534, 65534) if root else (os.getuid(), os.getgid())
        user = "nobody" if root else subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        group = "nogroup" if root else subprocess.run(["id", "-gn"], capture_output=True, text=True).stdout.strip()
        self.port = fb.free_port()
        d = self.dir
        (d / "dovecot.conf").write_text(f"""protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
default_internal_user = {user}
default_login_user = {user}
default_internal_group = {group}
ssl = yes
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
mail_location = maildir:~/Maildir
passdb {{
  driver = static
  args = password=secret
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {self.port}
  }}
}}
""")
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self.proc = subprocess.Popen([binary, "-F", "-c", str(d / "dovecot.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.n = 0

    def maildir(self, user):
        md = self.dir / "home" / user / "Maildir"
        for sub in ("", "new", "cur", "tmp"):
            (md / sub).mkdir(parents=True, exist_ok=True)
            os.chmod(md / sub, 0o777)
        os.chmod(self.dir / "home" / user, 0o777)
        return md

    def deliver(self, user, raw):
        md = self.maildir(user)
        self.n += 1
        name = f"{os.getpid()}.{self.n}.bench"
        (md / "tmp" / name).write_bytes(raw)
        os.chmod(md / "tmp" / name, 0o666)
        os.rename(md / "tmp" / name, md / "new" / name)

    def stop(self):
        try:
            os.killpg(self.proc.pid, 9)
        except ProcessLookupError:
            pass
        self.proc.wait()


def mixed_mails(n, seed=42):
    """`n` mails of the kinds a desk gets: plain, HTML only, text with a log and a PNG,
    ISO-8859-1 and Windows-1252 subjects, and replies that thread to earlier mails. 500 senders,
    so none passes the hourly limit."""
    rng = random.Random(seed)
    png = base64.b64encode(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")).decode()
    sent = []
    out = []
    for i in range(n):
        sender = f"user{rng.randrange(500)}@example.com"
        mid = f"<bench-{i}@example.com>"
        kind = i % 6
        head = f"From: User <{sender}>\r\nTo: desk@piket.test\r\nMessage-ID: {mid}\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        words = " ".join(rng.choice(["printer", "vpn", "laptop", "slow", "email", "password",
                                     "screen", "network", "cannot", "please", "help", "today"])
                         for _ in range(rng.randrange(20, 120)))
        if kind == 0:
            raw = head + f"Subject: Plain {i}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{words}\r\n"
        elif kind == 1:
            raw = head + f"Subject: HTML {i}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>{words}</p><ul><li>one</li><li>two</li></ul></body></html>\r\n"
        elif kind == 2:
            log = "\r\n".join(f"line {k}: {words[:60]}" for k in range(60))
            raw = (head + f"Subject: With files {i}\r\nContent-Type: multipart/mixed; boundary=b{i}\r\n\r\n"
                   f"--b{i}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{words}\r\n"
                   f"--b{i}\r\nContent-Type: text/plain; name=log.txt\r\nContent-Disposition: attachment; filename=log.txt\r\n\r\n{log}\r\n"
                   f"--b{i}\r\nContent-Type: image/png; name=shot.png\r\nContent-Disposition: attachment; filename=shot.png\r\nContent-Transfer-Encoding: base64\r\n\r\n{png}\r\n"
                   f"--b{i}--\r\n")
        elif kind == 3:
            raw = head + f"Subject: =?ISO-8859-1?Q?Caf=E9_{i}?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nBonjour, caf=E9 {words}\r\n"
        elif kind == 4:
            raw = (head + f"Subject: =?windows-1252?Q?=93Quoted=94_{i}?=\r\nContent-Type: multipart/alternative; boundary=a{i}\r\n\r\n"
                   f"--a{i}\r\nContent-Type: text/plain; charset=windows-1252\r\n\r\n{words}\r\n"
                   f"--a{i}\r\nContent-Type: text/html; charset=windows-1252\r\n\r\n<p>{words}</p>\r\n--a{i}--\r\n")
        else:
            ref = rng.choice(sent) if sent else mid
            raw = (head + f"Subject: Re: earlier\r\nIn-Reply-To: {ref[1]}\r\nReferences: {ref[1]}\r\n"
                   f"Content-Type: text/plain; charset=utf-8\r\n\r\n{words}\r\n\r\nOn Mon, 7 Dec 2026, Desk wrote:\r\n> old text\r\n")
                # The reply comes from the first mail's sender, so it threads as a reply.
            raw = raw.replace(f"From: User <{sender}>", f"From: User <{ref[0]}>", 1) if sent else raw
        sent.append((sender, mid))
        out.append(raw.encode("utf-8"))
    return out


def big_mail(mb):
    """One mail of about `mb` MB: a short text and a binary attachment, base64."""
    size = int(mb * 1024 * 1024 * 3 / 4)
    blob = base64.encodebytes(os.urandom(size)).replace(b"\n", b"\r\n")
    return (b"From: Big <big@example.com>\r\nTo: desk@piket.test\r\nSubject: Big mail\r\n"
            b"Message-ID: <big-1@example.com>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
            b"The dump is attached.\r\n--B\r\nContent-Type: application/octet-stream; name=dump.bin\r\n"
            b"Content-Disposition: attachment; filename=dump.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + blob + b"\r\n--B--\r\n")


def api(port, key, method, path, body=None):
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    status, data = fb.request(port, method, path, headers, json.dumps(body) if body is not None else None)
    if status >= 300:
        raise fb.BenchError(f"{method} {path}: {status} {data[:300]!r}")
    return json.loads(data) if data else None


def add_mailbox(port, key, dv, user):
    return api(port, key, "POST", MAILBOXES, {
        "name": f"Bench {user}", "protocol": "imap", "host": "localhost", "port": dv.port,
        "tls": "tls", "tls_verify": False, "username": user, "password": "secret",
        "after_fetch": "seen", "poll_secs": 10,
    })["id"]


def wait_fetched(port, key, mid, n, deadline_s, on_progress=None):
    """Poll the mailbox until `n` mails are taken; (time of the first, time of the last)."""
    first = None
    t_end = time.time() + deadline_s
    while time.time() < t_end:
        m = api(port, key, "GET", f"{MAILBOXES}/{mid}")
        if m["first_fetch"] == "ask" and m["backlog"] > 0:
            api(port, key, "POST", f"{MAILBOXES}/{mid}/first-fetch", {"choice": "all"})
        now = time.perf_counter()
        if m["fetched"] > 0 and first is None:
            first = (now, m["fetched"])
        if on_progress:
            on_progress()
        if m["fetched"] >= n:
            return first, (now, m["fetched"])
        if m["last_error"]:
            print(f"  (mailbox error: {m['last_error'][:200]})", file=sys.stderr)
        time.sleep(0.2)
    raise fb.BenchError(f"the mailbox took fewer than {n} mails in {deadline_s} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--piket", default=str(ROOT / "target/release/piket"))
    ap.add_argument("--parser", default=str(ROOT / "target/release/mail-parse"))
    ap.add_argument("--mails", type=int, default=10_000)
    ap.add_argument("--big-mb", type=float, default=25.0)
    args = ap.parse_args()
    for exe in (args.piket, args.parser):
        if not Path(exe).exists():
            sys.exit(f"{exe} is missing: cargo build --release -p piket-server -p mail-parse")
    if not (shutil.which("dovecot") or Path("/usr/sbin/dovecot").exists()):
        sys.exit("dovecot is missing: apt-get install dovecot-imapd")
    tmp = tempfile.mkdtemp(prefix="piket-mail-bench-")
    os.chmod(tmp, 0o755)
    dv = Dovecot(tmp)
    log = open(Path(tmp) / "server.log", "wb")
    try:
        data = str(Path(tmp) / "data")
        key = fb.create_api_key(args, data)
        proc, port, _ = fb.start(fb.piket_cmd, args, data, log)

        # 1. Memory: one big mail on a fresh server.
        time.sleep(2)
        before = status_kb(proc.pid, "VmRSS")
        hwm_before = status_kb(proc.pid, "VmHWM")
        big = big_mail(args.big_mb)
        dv.deliver("big", big)
        big_id = add_mailbox(fb_port := port, key, dv, "big")
        wait_fetched(fb_port, key, big_id, 1, 300)
        peak = status_kb(proc.pid, "VmHWM")
        mail_mb = len(big) / 1024 / 1024
        grew = (peak - max(before, hwm_before)) / 1024
        print(f"memory: {mail_mb:.1f} MB mail; RSS before {before/1024:.1f} MB, "
              f"peak {peak/1024:.1f} MB, grew {grew:.1f} MB = {grew/mail_mb:.2f}x the mail")

        # 2. Throughput: the mixed mailbox.
        mails = mixed_mails(args.mails)
        for raw in mails:
            dv.deliver("desk", raw)
        total_mb = sum(map(len, mails)) / 1024 / 1024
        desk = add_mailbox(port, key, dv, "desk")
        (t0, n0), (t1, n1) = wait_fetched(port, key, desk, args.mails, 3600)
        rate = (n1 - n0) / (t1 - t0) if t1 > t0 else float("nan")
        m = api(port, key, "GET", f"{MAILBOXES}/{desk}")

        # A second reference: tickets filed one by one through the JSON API (one client), the
        # same work but the mail's transport, parsing and bookkeeping.
        api_n = min(args.mails, 2000)
        t_api = time.perf_counter()
        for i in range(api_n):
            api(port, key, "POST", "/api/v1/tickets",
                {"title": f"API ticket {i}", "description": "printer vpn laptop slow " * 8})
        api_rate = api_n / (time.perf_counter() - t_api)

        md = dv.maildir("desk")
        ref = []
        for _ in range(3):
            out = subprocess.run([args.parser, str(md / "cur"), str(md / "new")],
                                 capture_output=True, text=True, check=True).stdout.split()
            ref.append(int(out[0]) / float(out[1]))
        ref_rate = statistics.median(ref)
        print(f"mails: {args.mails} mixed ({total_mb:.1f} MB), taken {m['fetched']}")
        print(f"piket: {rate:.0f} mails/s (first to last recorded)")
        print(f"mail-parser alone: {ref_rate:.0f} mails/s (median of 3)")
        print(f"ratio: {rate / ref_rate:.4f} ({ref_rate / rate:.0f}x slower than parsing alone)")
        print(f"tickets through the API, one client: {api_rate:.0f} /s; mail to ticket: "
              f"{rate / api_rate:.2f}x that")
        fb.stop(proc)
        return 0
    except fb.BenchError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        for p in list(fb.PROCS):
            fb.stop(p)
        dv.stop()
        log.close()
        if os.environ.get("KEEP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
