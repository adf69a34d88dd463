#!/usr/bin/env python3
"""Inventory benchmark: piket-agent against fusioninventory-agent, and the server's report
ingest against a raw SQLite delete-and-insert of the same rows, each measured in the same run.

  figure                        Piket                                  reference
  agent collection time         piket-agent inventory --json           fusioninventory-agent --local
  agent collection peak RSS     (same runs, wait4 ru_maxrss)            (same runs)
  bytes on the wire             gzip(InventoryReport JSON), as sent    the agent's XML (plain and zlib)
  ingest, changed reports/s     POST /api/v1/agent/inventory, 800 sw   raw-sql: BEGIN; DELETE 800; INSERT 800; COMMIT
  unchanged re-report           same report again (fingerprint hit)    the changed report's cost
  agent idle RSS (run mode)     VmRSS after its first report           (absolute target: 7 MB)

Builds nothing: `cargo build --release -p piket-server -p piket-agent -p raw-sql` first, and
install `fusioninventory-agent` (Debian) for the agent comparison (skipped with a note if absent).
Exits 0 when everything was measured (targets may be missed), 1 when something failed.
"""
import argparse
import gzip
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import foundation as fb  # noqa: E402  (shared process helpers)

ROOT = fb.ROOT
SOFTWARE = 800


def timed_run(cmd, env=None):
    """Run `cmd` to completion; (wall ms, peak RSS MB of that process, stdout bytes). Peak RSS
    comes from GNU time (`/usr/bin/time -f %M`): a child forked from Python would count Python's
    own pages in its high-water mark before exec."""
    gnu_time = Path("/usr/bin/time")
    if not gnu_time.exists():
        raise fb.BenchError("GNU time is needed for peak RSS: apt-get install time")
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        t0 = time.perf_counter()
        res = subprocess.run([str(gnu_time), "-f", "%M", "-o", rss.name, *cmd],
                             capture_output=True, env=env or fb.ENV)
        wall = (time.perf_counter() - t0) * 1000.0
        if res.returncode != 0:
            raise fb.BenchError(f"{' '.join(cmd[:3])} exited {res.returncode}")
        peak_kb = int(rss.read().split()[-1])
    return wall, peak_kb / 1024.0, res.stdout


def measure_agents(args, tmp):
    """Median wall time and peak RSS of a full collection by each agent, and report sizes."""
    agent = [args.agent, "inventory", "--json"]
    timed_run(agent)  # warm the page cache for both sides alike
    ours = [timed_run(agent) for _ in range(args.runs)]
    inventory = json.loads(ours[-1][2])
    report = json.dumps({"protocol": 1, "agent_version": "bench", "inventory": inventory},
                        separators=(",", ":")).encode()
    result = {
        "piket_ms": statistics.median(r[0] for r in ours),
        "piket_rss_mb": statistics.median(r[1] for r in ours),
        "piket_bytes_json": len(report),
        "piket_bytes_wire": len(gzip.compress(report, 6)),
        "software": len(inventory.get("software", [])),
    }
    fusion = shutil.which("fusioninventory-agent")
    if not fusion:
        result["fusion"] = "not installed (apt-get install fusioninventory-agent)"
        return result
    outdir = Path(tempfile.mkdtemp(prefix="fusion-", dir=tmp))
    cmd = [fusion, "--local", str(outdir), "--no-category", "printer"]
    timed_run(cmd)
    theirs = [timed_run(cmd) for _ in range(args.runs)]
    xml = max(outdir.glob("*.ocs"), key=lambda p: p.stat().st_mtime).read_bytes()
    result.update({
        "fusion_ms": statistics.median(r[0] for r in theirs),
        "fusion_rss_mb": statistics.median(r[1] for r in theirs),
        "fusion_bytes_xml": len(xml),
        "fusion_bytes_wire": len(zlib.compress(xml, 6)),
        "fusion_software": xml.count(b"<SOFTWARES>"),
    })
    return result


# --- ingest ------------------------------------------------------------------

def api(port, method, path, key=None, body=None, headers=None):
    h = {"Content-Type": "application/json", **(headers or {})}
    if key:
        h["X-API-Key"] = key
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    status, out = fb.request(port, method, path, h, data)
    return status, out


def inventory(i, version, all_changed=False):
    """A full synthetic report for device i: 800 packages; RAM and the versions of ten packages
    (or of all of them) follow `version`."""
    return {
        "hostname": f"bench-pc-{i:04d}",
        "os": {"name": "Debian GNU/Linux", "version": "12 (bookworm)", "kernel": "6.1.0-18-amd64"},
        "hardware": {"manufacturer": "LENOVO", "model": "ThinkCentre M70q", "serial": f"SN{i:08d}",
                     "chassis": "desktop"},
        "cpu": {"model": "Intel(R) Core(TM) i5-10400T CPU @ 2.00GHz", "cores": 6, "threads": 12},
        "memory_bytes": (8 + 8 * (version % 2)) * 1024 ** 3,
        "disks": [{"name": "nvme0n1", "model": "SAMSUNG MZVLB256HBHQ", "size_bytes": 256060514304}],
        "interfaces": [{"name": "eth0", "mac": f"02:00:00:00:{i // 256:02x}:{i % 256:02x}",
                        "ips": [f"10.0.{i // 256}.{i % 256}"]}],
        "software": [{"name": f"package-{n:03d}", "vendor": "Debian",
                      # ten packages move with each version: a typical changed report
                      "version": f"1.{version}" if n < 10 or all_changed else "1.0"}
                     for n in range(SOFTWARE)],
    }


def body(i, version, all_changed=False):
    raw = json.dumps({"protocol": 1, "agent_version": "bench",
                      "inventory": inventory(i, version, all_changed)},
                     separators=(",", ":")).encode()
    return gzip.compress(raw, 6)


def post_all(port, devices, bodies, threads, fingerprints=None):
    """POST each device's body once from `threads` clients, with the agent's fingerprint header
    when `fingerprints` are given; (reports/s, statuses seen, fingerprint answered per device)."""
    queue = list(range(len(devices)))
    lock = threading.Lock()
    statuses = {}
    answered = [None] * len(devices)
    errors = []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if not queue:
                    break
                n = queue.pop()
            device_id, secret = devices[n]
            try:
                headers = {"Content-Type": "application/json", "Content-Encoding": "gzip",
                           "Authorization": f"Bearer {device_id}.{secret}"}
                if fingerprints:
                    headers["X-Piket-Fingerprint"] = fingerprints[n]
                conn.request("POST", "/api/v1/agent/inventory", body=bodies[n], headers=headers)
                resp = conn.getresponse()
                out = json.loads(resp.read() or b"{}")
                answered[n] = out.get("fingerprint")
                key = f"{resp.status} {out.get('status', out.get('error', ''))}"
            except fb.HTTP_ERRORS as e:
                errors.append(str(e))
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            with lock:
                statuses[key] = statuses.get(key, 0) + 1

    t0 = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise fb.BenchError(f"{len(errors)} requests failed, first: {errors[0]}")
    return len(devices) / elapsed, statuses, answered


def cpu_ms(pid):
    """CPU time (user + system) the process has used, in ms, from /proc (10 ms ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def phase(proc, rounds, fn):
    """Run `fn` `rounds` times; (reports/s of the last round, server CPU ms per report, statuses)."""
    before = cpu_ms(proc.pid)
    reports = 0
    for _ in range(rounds):
        rps, statuses, answered = fn()
        reports += len(answered)
    return rps, (cpu_ms(proc.pid) - before) / reports, statuses, answered


def enroll(port, key, n):
    status, out = api(port, "POST", "/api/v1/agent/enrollment-tokens", key,
                      {"name": "bench", "max_uses": n})
    if status not in (200, 201):
        raise fb.BenchError(f"token create: {status} {out[:200]!r}")
    token = json.loads(out)["secret"]
    devices = []
    for i in range(n):
        status, out = api(port, "POST", "/api/v1/agent/enroll", None,
                          {"token": token, "hostname": f"bench-pc-{i:04d}",
                           "serial": f"SN{i:08d}", "manufacturer": "LENOVO"})
        if status not in (200, 201):
            raise fb.BenchError(f"enroll: {status} {out[:200]!r}")
        e = json.loads(out)
        devices.append((e["device_id"], e["secret"]))
    return devices


def raw_reference(args, db, seconds):
    """Raw SQLite delete-and-insert of one device's 800 installation rows, per second."""
    ids = subprocess.run(["sqlite3", str(db), f"SELECT id FROM software ORDER BY id LIMIT {SOFTWARE}"],
                         capture_output=True, text=True)
    if ids.returncode != 0 or not ids.stdout.strip():
        # No sqlite3 CLI: take the ids through raw-sql itself is not possible; use 1..800.
        software = list(range(1, SOFTWARE + 1))
    else:
        software = [int(x) for x in ids.stdout.split()]
    values = ", ".join(f"(1, {s}, 0)" for s in software)
    # The server's own settings: WAL with synchronous = NORMAL (no fsync per commit).
    statements = ["PRAGMA synchronous = NORMAL",
                  "BEGIN IMMEDIATE",
                  "DELETE FROM software_installations WHERE device_id = 1",
                  f"INSERT INTO software_installations (device_id, software_id, created_at) VALUES {values}",
                  "COMMIT"]
    cmd = [args.raw, "--url", f"sqlite://{db}", "--concurrency", "1", "--seconds", str(seconds)]
    for s in statements:
        cmd += ["--sql", s]
    return json.loads(fb.run_cli(cmd))["qps"]


def measure_ingest(args, tmp, log):
    data = tempfile.mkdtemp(prefix="ingest-", dir=tmp)
    key = fb.create_api_key(argparse.Namespace(piket=args.piket), data)
    proc, port, _ = fb.start(fb.piket_cmd, args, data, log)
    try:
        devices = enroll(port, key, args.devices)
        first = [body(i, 0) for i in range(args.devices)]
        post_all(port, devices, first, args.threads)          # creates the catalog and assets
        changed = [body(i, 1) for i in range(args.devices)]
        changed_rps, changed_cpu, changed_st, fps = phase(
            proc, 1, lambda: post_all(port, devices, changed, args.threads))
        # What piket-agent does: the same report again, naming its fingerprint in a header.
        # Several rounds: the server's CPU clock ticks in 10 ms.
        unchanged_rps, unchanged_cpu, unchanged_st, _ = phase(
            proc, 5, lambda: post_all(port, devices, changed, args.threads, fps))
        # The same again without the header: the body is read, parsed and fingerprinted.
        body_rps, body_cpu, body_st, _ = phase(
            proc, 5, lambda: post_all(port, devices, changed, args.threads))
        # Worst case: every one of the 800 packages has a new version.
        every = [body(i, 2, all_changed=True) for i in range(args.devices)]
        every_rps, every_cpu, every_st, _ = phase(
            proc, 1, lambda: post_all(port, devices, every, args.threads))
        rss = fb.rss_mb(proc.pid)
        agent_idle = measure_agent_idle(args, tmp, port, key)
    finally:
        fb.stop(proc)
    db = Path(data) / "piket.db"
    copy = Path(tmp) / "raw.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(str(db) + suffix).exists():
            shutil.copy(str(db) + suffix, str(copy) + suffix)
    raw_rps = raw_reference(args, copy, args.seconds)
    return {"changed_cpu_ms": changed_cpu, "unchanged_cpu_ms": unchanged_cpu,
            "unchanged_body_cpu_ms": body_cpu, "all_changed_cpu_ms": every_cpu,
            "changed_rps": changed_rps, "changed_statuses": changed_st,
            "unchanged_rps": unchanged_rps, "unchanged_statuses": unchanged_st,
            "unchanged_body_rps": body_rps, "unchanged_body_statuses": body_st,
            "all_changed_rps": every_rps, "all_changed_statuses": every_st,
            "raw_rps": raw_rps, "server_rss_mb": rss, "agent_idle_rss_mb": agent_idle}


def measure_agent_idle(args, tmp, port, key):
    """Enroll the real agent, start `run`, and read its VmRSS once its first report is in."""
    status, out = api(port, "POST", "/api/v1/agent/enrollment-tokens", key, {"name": "idle"})
    if status not in (200, 201):
        raise fb.BenchError(f"token create: {status}")
    config = Path(tmp) / "agent.toml"
    env = {**fb.ENV, "PIKET_AGENT_CONFIG": str(config)}
    subprocess.run([args.agent, "enroll", "--server", f"http://127.0.0.1:{port}", "--token",
                    json.loads(out)["secret"]], env=env, check=True, capture_output=True)
    log = open(Path(tmp) / "agent-run.log", "w")
    proc = subprocess.Popen([args.agent, "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            text = (Path(tmp) / "agent-run.log").read_text()
            if "updated" in text or "unchanged" in text:
                break
            if proc.poll() is not None:
                raise fb.BenchError(f"agent run exited: {text[-500:]}")
            time.sleep(0.2)
        else:
            raise fb.BenchError("agent run sent no report within 60 s")
        time.sleep(2)
        return fb.rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait()


def ratio(a, b):
    return a / b if b else float("nan")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--piket", default=str(ROOT / "target/release/piket"))
    p.add_argument("--agent", default=str(ROOT / "target/release/piket-agent"))
    p.add_argument("--raw", default=str(ROOT / "target/release/raw-sql"))
    p.add_argument("--runs", type=int, default=5, help="collections per agent (median)")
    p.add_argument("--devices", type=int, default=200, help="devices reporting to the server")
    p.add_argument("--threads", type=int, default=4, help="concurrent HTTP clients")
    p.add_argument("--seconds", type=float, default=5.0, help="raw reference duration")
    args = p.parse_args()
    os.chdir(tempfile.mkdtemp(prefix="piket-bench-cwd-"))
    tmp = tempfile.mkdtemp(prefix="piket-bench-inventory-")
    log = open(Path(tmp) / "server.log", "w")
    try:
        a = measure_agents(args, tmp)
        g = measure_ingest(args, tmp, log)
    except fb.BenchError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        for proc in list(fb.PROCS):
            fb.stop(proc)
    rows = []

    def row(figure, value, ref, verdict):
        rows.append((figure, value, ref, verdict))

    if "fusion_ms" in a:
        t, m = ratio(a["piket_ms"], a["fusion_ms"]), ratio(a["piket_rss_mb"], a["fusion_rss_mb"])
        w, x = ratio(a["piket_bytes_wire"], a["fusion_bytes_wire"]), ratio(a["piket_bytes_wire"], a["fusion_bytes_xml"])
        row("agent collection time", f"{a['piket_ms']:.0f} ms", f"{a['fusion_ms']:.0f} ms",
            f"{t:.3f}x (target <= 0.2x) {'PASS' if t <= 0.2 else 'MISS'}")
        row("agent collection peak RSS", f"{a['piket_rss_mb']:.1f} MB", f"{a['fusion_rss_mb']:.1f} MB",
            f"{m:.3f}x (target <= 0.15x) {'PASS' if m <= 0.15 else 'MISS'}")
        row("bytes on the wire vs XML", f"{a['piket_bytes_wire']} B", f"{a['fusion_bytes_xml']} B plain",
            f"{x:.3f}x (target <= 0.1x) {'PASS' if x <= 0.1 else 'MISS'}")
        row("bytes on the wire vs XML as sent", f"{a['piket_bytes_wire']} B", f"{a['fusion_bytes_wire']} B zlib",
            f"{w:.3f}x (compressed both sides)")
        row("software found", str(a["software"]), str(a["fusion_software"]), "")
    else:
        row("agent comparison", "-", a["fusion"], "SKIPPED")
    r = ratio(g["changed_rps"], g["raw_rps"])
    row("ingest, changed report (800 sw)", f"{g['changed_rps']:.1f}/s", f"{g['raw_rps']:.1f}/s raw",
        f"{r:.2f}x (target >= 0.35x) {'PASS' if r >= 0.35 else 'MISS'}")
    c = ratio(g["changed_cpu_ms"], g["unchanged_cpu_ms"])
    row("unchanged re-report (agent), server CPU", f"{g['unchanged_cpu_ms']:.2f} ms",
        f"{g['changed_cpu_ms']:.2f} ms changed",
        f"{c:.1f}x cheaper (target >= 10x) {'PASS' if c >= 10 else 'MISS'}")
    u = ratio(g["unchanged_rps"], g["changed_rps"])
    row("unchanged re-report (agent), rate", f"{g['unchanged_rps']:.1f}/s",
        f"{g['changed_rps']:.1f}/s changed", f"{u:.1f}x (bounded by the Python client)")
    b = ratio(g["changed_cpu_ms"], g["unchanged_body_cpu_ms"])
    row("unchanged, no header, server CPU", f"{g['unchanged_body_cpu_ms']:.2f} ms",
        f"{g['changed_cpu_ms']:.2f} ms changed", f"{b:.1f}x cheaper (body inflated, parsed, fingerprinted)")
    e = ratio(g["all_changed_rps"], g["raw_rps"])
    row("ingest, all 800 packages new", f"{g['all_changed_rps']:.1f}/s", f"{g['raw_rps']:.1f}/s raw",
        f"{e:.2f}x (worst case)")
    row("agent idle RSS (run)", f"{g['agent_idle_rss_mb']:.1f} MB", "",
        f"target <= 7 MB {'PASS' if g['agent_idle_rss_mb'] <= 7 else 'MISS'}")
    width = max(len(r[0]) for r in rows)
    for figure, value, ref, verdict in rows:
        print(f"{figure:<{width}}  {value:>12}  {ref:>20}  {verdict}")
    print(f"statuses: changed {g['changed_statuses']}, unchanged {g['unchanged_statuses']}, "
          f"no header {g['unchanged_body_statuses']}, all new {g['all_changed_statuses']}; "
          f"server RSS {g['server_rss_mb']:.1f} MB; devices {args.devices}, threads {args.threads}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "inventory.json").write_text(json.dumps({"agents": a, "ingest": g}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
