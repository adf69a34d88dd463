#!/usr/bin/env python3
"""Attack benchmark (issue #17, part 3): the server's peak memory, and the p99 latency of an
unrelated request (GET /healthz), during
  (a) 12 parallel thumbnail requests of a ~250 KiB PNG declaring 8000x8000 (64 MP),
  (b) 200 concurrent logins, and
  (c) 12 parallel thumbnail requests of a legitimate 6000x6000 PNG (36 MP, under the limit),
each against the same unrelated request with no attack, measured in the same run (the
reference). Every scenario gets a fresh server process, so its peak (VmHWM) is its own; the
data directory is shared, and stored thumbnails are removed before each start. The prober
runs for the attack and at least --reference-s seconds.

  python3 bench/attack.py                                   # target/release/piket
  python3 bench/attack.py --piket /tmp/piket-before --piket target/release/piket

Several --piket binaries are measured one after the other in the same run. Builds nothing;
only the Python 3 standard library is needed.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import threading
import time
import urllib.parse
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import foundation as fb  # noqa: E402

PASSWORD = fb.PASSWORD.strip()


def bomb_png(width=8000, height=8000):
    """A valid RGBA PNG of `width`x`height` transparent pixels: 256 MB decoded, ~250 KiB stored."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    z = zlib.compressobj(9)
    row = bytes(1 + 4 * width)  # filter byte 0, then the pixels
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


def api(port, method, path, key, body=None, content_type="application/json"):
    headers = {"X-API-Key": key}
    if body is not None:
        headers["Content-Type"] = content_type
    status, raw = fb.request(port, method, path, headers, body)
    return status, raw


def upload_png(port, key, ticket, png, name):
    boundary = "piketbenchboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n").encode() \
        + png + f"\r\n--{boundary}--\r\n".encode()
    status, raw = api(port, "POST", f"/api/v1/tickets/{ticket}/attachments", key, body,
                      f"multipart/form-data; boundary={boundary}")
    if status != 201:
        raise fb.BenchError(f"upload: {status} {raw[:200]!r}")
    att = json.loads(raw)["items"][0]["id"]
    return f"/api/v1/tickets/{ticket}/attachments/{att}/thumbnail"


def prepare(args, data, log):
    """A database with the bench admin, a department, a ticket and the PNGs on it."""
    proc, port, _ = fb.start(server_cmd, args, data, log)
    fb.stop(proc)
    key = fb.create_api_key(args, data)
    proc, port, _ = fb.start(server_cmd, args, data, log)
    try:
        status, raw = api(port, "POST", "/api/v1/departments", key, json.dumps({"name": "IT"}))
        if status != 201:
            raise fb.BenchError(f"department: {status} {raw[:200]!r}")
        dept = json.loads(raw)["id"]
        status, raw = api(port, "POST", "/api/v1/tickets", key,
                          json.dumps({"title": "Screenshot", "department": dept}))
        if status != 201:
            raise fb.BenchError(f"ticket: {status} {raw[:200]!r}")
        ticket = json.loads(raw)["id"]
        png = bomb_png()
        bomb = upload_png(port, key, ticket, png, "screen.png")
        legit = upload_png(port, key, ticket, bomb_png(6000, 6000), "photo.png")
    finally:
        fb.stop(proc)
    return key, bomb, legit, len(png)


def server_cmd(args, port, data):
    # The login limit per client IP (20 a minute) would stop the login attack after 20 tries;
    # the attacker in the report came from many addresses.
    return fb.piket_cmd(args, port, data) + ["--login-rate-per-minute", "1000000"]


def forget_thumbnails(data):
    for p in Path(data, "attachments").glob("??/*.*"):
        p.unlink()


def status_kb(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise fb.BenchError(f"no {field} for pid {pid}")


class Prober(threading.Thread):
    """GET /healthz, one after the other on one keep-alive connection, until stopped."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.stop_flag, self.ms, self.errors = port, threading.Event(), [], 0

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self.stop_flag.is_set():
            t0 = time.perf_counter()
            try:
                conn.request("GET", "/healthz")
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    self.errors += 1
            except fb.HTTP_ERRORS:
                self.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.ms.append((time.perf_counter() - t0) * 1000.0)
            time.sleep(0.002)


def p99(values):
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def run_parallel(n, fn):
    """Run fn(i) on n threads released together; return their results."""
    barrier, out = threading.Barrier(n), [None] * n

    def work(i):
        barrier.wait()
        try:
            out[i] = fn(i)
        except fb.HTTP_ERRORS as e:
            out[i] = f"error: {e}"
    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def thumbnails(port, key, path, n):
    return run_parallel(n, lambda _: fb.request(port, "GET", path, {"X-API-Key": key})[0])


def logins(port, n):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    resp = conn.getresponse()
    resp.read()
    csrf = re.search(r"piket_csrf=([0-9a-f]+)", resp.getheader("set-cookie") or "")
    if not csrf:
        raise fb.BenchError("no CSRF cookie on /login")
    body = urllib.parse.urlencode({"_csrf": csrf.group(1), "email": fb.EMAIL,
                                   "password": PASSWORD})
    headers = {"content-type": "application/x-www-form-urlencoded",
               "cookie": f"piket_csrf={csrf.group(1)}", "origin": f"http://127.0.0.1:{port}"}

    def one(_):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            c.request("POST", "/login", body=body, headers=headers)
            r = c.getresponse()
            r.read()
            return r.status
        finally:
            c.close()
    return run_parallel(n, one)


def scenario(args, data, log, name, attack):
    forget_thumbnails(data)
    proc, port, _ = fb.start(server_cmd, args, data, log)
    try:
        for _ in range(5):
            fb.request(port, "GET", "/healthz")
        idle_kb = status_kb(proc.pid, "VmRSS")
        prober = Prober(port)
        prober.start()
        t0 = time.perf_counter()
        statuses = [] if attack is None else attack(port)
        took = time.perf_counter() - t0
        time.sleep(max(0.0, args.reference_s - took))
        prober.stop_flag.set()
        prober.join()
        peak_kb = status_kb(proc.pid, "VmHWM")
        time.sleep(2)
        after_kb = status_kb(proc.pid, "VmRSS")
    finally:
        fb.stop(proc)
    counts = {}
    for s in statuses:
        counts[str(s)] = counts.get(str(s), 0) + 1
    return {"scenario": name, "idle_mb": idle_kb / 1024, "peak_mb": peak_kb / 1024,
            "after_2s_mb": after_kb / 1024, "attack_s": took, "probes": len(prober.ms),
            "probe_errors": prober.errors, "p99_ms": p99(prober.ms),
            "max_ms": max(prober.ms) if prober.ms else float("nan"), "statuses": counts}


def measure(args, binary, tmp, log):
    args.piket = binary
    data = str(tmp / f"data-{abs(hash(binary))}")
    key, bomb, legit, png_len = prepare(args, data, log)
    rows = [scenario(args, data, log, "reference (no attack)", None),
            scenario(args, data, log, f"(a) {args.thumbnails} thumbnails 64 MP",
                     lambda port: thumbnails(port, key, bomb, args.thumbnails)),
            scenario(args, data, log, f"(b) {args.logins} concurrent logins",
                     lambda port: logins(port, args.logins)),
            scenario(args, data, log, f"(c) {args.thumbnails} thumbnails 36 MP",
                     lambda port: thumbnails(port, key, legit, args.thumbnails))]
    return {"binary": binary, "png_bytes": png_len, "rows": rows}


def report(results):
    for res in results:
        rows = res["rows"]
        ref = rows[0]
        print(f"\n{res['binary']}  (PNG {res['png_bytes'] / 1024:.0f} KiB, 8000x8000)")
        print(f"  {'scenario':<26} {'peak RSS':>9} {'x ref':>6} {'RSS +2s':>8} "
              f"{'p99 /healthz':>13} {'x ref':>7} {'max':>8} {'probes':>6} {'attack':>7}  statuses")
        for r in rows:
            print(f"  {r['scenario']:<26} {r['peak_mb']:>6.0f} MB {r['peak_mb'] / ref['peak_mb']:>6.1f}"
                  f" {r['after_2s_mb']:>5.0f} MB {r['p99_ms']:>10.1f} ms"
                  f" {r['p99_ms'] / ref['p99_ms']:>7.1f} {r['max_ms']:>5.0f} ms {r['probes']:>6}"
                  f" {r['attack_s']:>6.1f}s  {r['statuses']}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--piket", action="append", help="piket binary (repeat to compare builds)")
    p.add_argument("--thumbnails", type=int, default=12)
    p.add_argument("--logins", type=int, default=200)
    p.add_argument("--reference-s", type=float, default=3.0)
    p.add_argument("--out", type=Path, default=fb.ROOT / "bench" / "results" / "attack.json")
    args = p.parse_args()
    binaries = [str(Path(b).resolve()) for b in (args.piket or [fb.ROOT / "target/release/piket"])]
    for b in binaries:
        if not Path(b).exists():
            print(f"missing {b}", file=sys.stderr)
            return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    tmp = Path(tempfile.mkdtemp(prefix="piket-attack-"))
    log_path, cwd = tmp / "servers.log", os.getcwd()
    os.chdir(tmp)
    results = []
    try:
        with open(log_path, "wb") as log:
            for b in binaries:
                print(f"measuring {b} ...", flush=True)
                results.append(measure(args, b, tmp, log))
    except (fb.BenchError, OSError) as exc:
        tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
        print(f"\nERROR: {exc}\n--- server log (tail) ---\n{tail}", file=sys.stderr)
        return 1
    finally:
        for proc in list(fb.PROCS):
            fb.stop(proc)
        os.chdir(cwd)
        shutil.rmtree(tmp, ignore_errors=True)
    report(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
