#!/usr/bin/env python3
"""Foundation benchmark: Piket against a minimal axum server (bench/hello-axum).

Measures, each as a ratio against hello-axum measured in the same run:
  1. start to first HTTP 200 on GET /api/v1/status (fresh data dir, then again on it);
  2. idle resident memory (VmRSS) after startup and a few requests;
  3. requests per second on GET /api/v1/status and on the authenticated
     GET /api/v1/departments (20 seeded rows), via wrk if installed, else threads.

Prints a summary table and writes it to bench/results/foundation.json. Builds
nothing: run `cargo build --release -p piket-server -p hello-axum` first.
Exits 0 even when a target is missed; 1 when something could not be measured.
"""
import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATUS, DEPTS = "/api/v1/status", "/api/v1/departments"
EMAIL, PASSWORD = "bench@example.com", "bench-password-123\n"
KEY_RE = re.compile(r"pk_[A-Za-z0-9]+_[A-Za-z0-9]+")
HTTP_ERRORS = (OSError, http.client.HTTPException)
# Servers and CLI run with defaults: no PIKET_* / RUST_LOG from the caller, and (see main)
# a scratch working directory, so no stray ./piket.toml is picked up.
ENV = {k: v for k, v in os.environ.items() if not k.startswith("PIKET_") and k != "RUST_LOG"}
PROCS = []  # every server still running; all killed in main()'s finally


class BenchError(Exception):
    """Something could not be measured."""


# --- processes ---------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def piket_cmd(args, port, data):
    # The API's request budget would turn a load test into a test of the limiter's 429s: set
    # it out of reach (requests still pass through the limiter, so its cost is measured).
    return [args.piket, "serve", "--listen", f"127.0.0.1:{port}", "--data", data,
            "--base-url", f"http://127.0.0.1:{port}",
            "--api-rate-per-minute", "1000000000", "--api-ip-rate-per-minute", "1000000000"]


def hello_cmd(args, port, _data):
    return [args.hello, f"127.0.0.1:{port}"]


def start(cmd_fn, args, data, log):
    """Spawn a server on a free port and wait for it; return (proc, port, ms to 200)."""
    port = free_port()
    cmd = [str(c) for c in cmd_fn(args, port, data)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            env=ENV)
    PROCS.append(proc)
    return proc, port, wait_for_200(proc, port, t0)


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    PROCS.remove(proc)


def run_cli(cmd, stdin=""):
    res = subprocess.run([str(c) for c in cmd], input=stdin, capture_output=True,
                         text=True, timeout=60, env=ENV)
    if res.returncode != 0:
        raise BenchError(f"`{' '.join(map(str, cmd[:3]))} ...` exited {res.returncode}:\n"
                         f"{res.stdout}{res.stderr}")
    return res.stdout


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise BenchError(f"no VmRSS for pid {pid}")


# --- HTTP --------------------------------------------------------------------

def request(port, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def wait_for_200(proc, port, t0, deadline_s=30.0):
    """Poll GET /api/v1/status every ~1 ms; return ms from t0 to the first 200."""
    while time.perf_counter() - t0 < deadline_s:
        if proc.poll() is not None:
            raise BenchError(f"server exited with {proc.returncode} before answering")
        try:
            if request(port, "GET", STATUS)[0] == 200:
                return (time.perf_counter() - t0) * 1000.0
        except HTTP_ERRORS:
            pass
        time.sleep(0.001)
    raise BenchError(f"no 200 on {STATUS} within {deadline_s:.0f} s")


def idle_rss(proc, port):
    for _ in range(5):
        request(port, "GET", STATUS)
    time.sleep(2)
    return rss_mb(proc.pid)


def wrk_load(port, path, headers, args):
    cmd = ["wrk", f"-t{min(2, args.connections)}", f"-c{args.connections}",
           f"-d{args.duration}s", "--latency"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    res = subprocess.run(cmd + [f"http://127.0.0.1:{port}{path}"], capture_output=True,
                         text=True, timeout=args.duration + 60)
    if res.returncode != 0:
        raise BenchError(f"wrk exited {res.returncode}: {res.stderr}")
    return parse_wrk(res.stdout)


def parse_wrk(out):
    """Requests/sec and latency percentiles from `wrk --latency`; refuses non-2xx runs."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    if not rps:
        raise BenchError(f"cannot parse wrk output:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if bad:
        raise BenchError(f"wrk saw {bad.group(1)} non-2xx responses:\n{out}")
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    sock = re.search(r"Socket errors:.*", out)
    return {"rps": float(rps.group(1)), "p50": lat.get("50"), "p99": lat.get("99"),
            "socket_errors": sock.group(0) if sock else None}


def python_load(port, path, headers, args):
    """Keep-alive http.client threads; the client, not the server, is the limit."""
    counts, errors = [0] * args.connections, []
    deadline = time.perf_counter() + args.duration

    def worker(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            while time.perf_counter() < deadline:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    errors.append(resp.status)
                    return
                counts[i] += 1
        except HTTP_ERRORS as exc:
            errors.append(repr(exc))
        finally:
            conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise BenchError(f"python load on {path}: {errors[:3]}")
    return {"rps": sum(counts) / (time.perf_counter() - t0), "p50": None, "p99": None}


# --- phases ------------------------------------------------------------------

def measure_startup(args, tmp, log):
    """Per run: piket on a fresh data dir, piket again on that dir, hello-axum."""
    ms = {"piket_fresh": [], "piket_existing": [], "hello": []}
    for i in range(args.runs):
        data = tempfile.mkdtemp(prefix=f"data{i}-", dir=tmp)
        for name, cmd_fn in (("piket_fresh", piket_cmd), ("piket_existing", piket_cmd),
                             ("hello", hello_cmd)):
            proc, _, elapsed = start(cmd_fn, args, data, log)
            ms[name].append(elapsed)
            stop(proc)
    return {name: {"median_ms": statistics.median(s), "min_ms": min(s),
                   "samples_ms": [round(x, 2) for x in s]} for name, s in ms.items()}


def create_api_key(args, data):
    run_cli([args.piket, "user", "create", "--data", data, "--email", EMAIL, "--name", "Bench",
             "--role", "admin", "--password-stdin"], stdin=PASSWORD)
    out = run_cli([args.piket, "apikey", "create", "--data", data, "--user", EMAIL,
                   "--name", "bench"])
    keys = [tok for tok in out.split() if KEY_RE.fullmatch(tok)]
    if not keys:
        raise BenchError(f"no pk_... key in `piket apikey create` output:\n{out}")
    return keys[0]


def seed_departments(port, key, n=20):
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    for i in range(1, n + 1):
        status, body = request(port, "POST", DEPTS, headers, json.dumps({"name": f"Dept {i}"}))
        if status != 201:
            raise BenchError(f"POST {DEPTS} returned {status}: {body[:200]!r}")


def measure_servers(args, tmp, log):
    """Idle RSS and RPS for piket (status + departments) and hello-axum (status)."""
    load = wrk_load if args.client == "wrk" else python_load
    data = tempfile.mkdtemp(prefix="load-", dir=tmp)
    stop(start(piket_cmd, args, data, log)[0])  # db + migrations exist before the CLI runs
    key = create_api_key(args, data)
    out = {}
    for name, cmd_fn in (("piket", piket_cmd), ("hello", hello_cmd)):
        proc, port, _ = start(cmd_fn, args, data, log)
        out[f"{name}_idle_rss_mb"] = idle_rss(proc, port)
        if name == "piket":
            seed_departments(port, key)
            out["piket_departments"] = load(port, DEPTS, {"X-API-Key": key}, args)
        out[f"{name}_status"] = load(port, STATUS, {}, args)
        out[f"{name}_loaded_rss_mb"] = rss_mb(proc.pid)
        stop(proc)
    return out


# --- report ------------------------------------------------------------------

def row(figure, value, ref, unit, max_value=None, max_ratio=None, min_ratio=None):
    """One summary line: piket figure vs reference, with its targets checked."""
    ratio = value / ref if ref else float("inf")
    checks = []  # (met?, label)
    if max_value is not None:
        checks.append((value <= max_value, f"<={max_value} {unit}"))
    if max_ratio is not None:
        checks.append((ratio <= max_ratio, f"<={max_ratio}x"))
    if min_ratio is not None:
        checks.append((ratio >= min_ratio, f">={min_ratio}x"))
    return {"figure": figure, "value": round(value, 2), "reference": round(ref, 2),
            "unit": unit, "ratio": round(ratio, 3), "target": ", ".join(c[1] for c in checks),
            "result": "PASS" if all(c[0] for c in checks) else "MISS"}


def build_rows(st, sv):
    hello_ms, hello_rps = st["hello"]["median_ms"], sv["hello_status"]["rps"]
    return [
        row("start, fresh data dir (median)", st["piket_fresh"]["median_ms"], hello_ms, "ms",
            max_value=150, max_ratio=10),
        row("start, existing data dir (median)", st["piket_existing"]["median_ms"], hello_ms,
            "ms", max_value=150, max_ratio=10),
        row("idle RSS", sv["piket_idle_rss_mb"], sv["hello_idle_rss_mb"], "MB", max_value=35),
        row("RPS GET /api/v1/status", sv["piket_status"]["rps"], hello_rps, "req/s",
            min_ratio=0.5),
        row("RPS GET /api/v1/departments (key)", sv["piket_departments"]["rps"], hello_rps,
            "req/s", min_ratio=0.25),
    ]


def print_report(st, sv, rows, client):
    print("\nstartup to first 200 (ms)   median     min")
    for name, s in st.items():
        print(f"  {name:<24}{s['median_ms']:8.1f}{s['min_ms']:8.1f}")
    note = "" if client == "wrk" else " (python fallback: the client is the bottleneck)"
    print(f"\nload client: {client}{note}")
    for name in ("piket_status", "piket_departments", "hello_status"):
        r = sv[name]
        lat = f"   p50 {r['p50']}  p99 {r['p99']}" if r["p50"] else ""
        print(f"  {name:<24}{r['rps']:10.0f} req/s{lat}")
    print(f"  RSS after load: piket {sv['piket_loaded_rss_mb']:.1f} MB, "
          f"hello-axum {sv['hello_loaded_rss_mb']:.1f} MB")
    head = f"{'figure':<36}{'piket':>10}{'hello-axum':>12}{'ratio':>9}  {'target':<18}result"
    print(f"\n{head}\n{'-' * len(head)}")
    for r in rows:
        print(f"{r['figure']:<36}{r['value']:>10.1f}{r['reference']:>12.1f}"
              f"{r['ratio']:>8.2f}x  {r['target']:<18}{r['result']}")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--piket", type=Path, default=ROOT / "target/release/piket")
    p.add_argument("--hello", type=Path, default=ROOT / "target/release/hello-axum")
    p.add_argument("--runs", type=int, default=10, help="startup repetitions (default 10)")
    p.add_argument("--duration", type=int, default=5, help="seconds per load run (default 5)")
    p.add_argument("--connections", type=int, default=16, help="load connections (default 16)")
    p.add_argument("--client", choices=["auto", "wrk", "python"], default="auto",
                   help="load generator (default: wrk if on PATH, else python)")
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/foundation.json")
    args = p.parse_args()
    if min(args.runs, args.duration, args.connections) < 1:
        p.error("--runs, --duration and --connections must be >= 1")
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    args.piket, args.hello, args.out = (f.resolve() for f in (args.piket, args.hello, args.out))
    for binary in (args.piket, args.hello):
        if not binary.is_file():
            p.error(f"missing {binary}: run `cargo build --release -p piket-server -p hello-axum`")
    return args


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so `finally` still runs
    tmp = Path(tempfile.mkdtemp(prefix="piket-bench-"))
    log_path, cwd = tmp / "servers.log", os.getcwd()
    os.chdir(tmp)
    try:
        with open(log_path, "wb") as log:
            print(f"startup: {args.runs} runs ...", flush=True)
            st = measure_startup(args, tmp, log)
            print(f"memory + load: {args.client}, {args.duration} s x {args.connections} "
                  "connections per run ...", flush=True)
            sv = measure_servers(args, tmp, log)
    except (BenchError, OSError, subprocess.TimeoutExpired) as exc:
        tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
        print(f"\nERROR: {exc}\n--- server log (tail) ---\n{tail}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        for proc in list(PROCS):
            stop(proc)
        os.chdir(cwd)
        shutil.rmtree(tmp, ignore_errors=True)
    rows = build_rows(st, sv)
    print_report(st, sv, rows, args.client)
    meta = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "host": platform.node(),
            "cpus": len(os.sched_getaffinity(0)), "client": args.client, "runs": args.runs,
            "duration_s": args.duration, "connections": args.connections}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "summary": rows, "startup": st,
                                    "servers": sv}, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
