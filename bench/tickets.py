#!/usr/bin/env python3
"""Ticket benchmark: p99 latency of the hot ticket paths at 1 and 16 connections, against the
raw SQL those requests boil down to, measured in the same run (bench/raw-sql), on SQLite and
on PostgreSQL, over a seeded database (`piket seed`, a fixed random seed).

  figure               Piket request                              raw SQL reference
  list                 GET /api/v1/tickets?status=open&limit=50   the list SELECT with its joins
  counts               GET /api/v1/tickets/counts                 SUM over ticket_counts
  search rare/mid/..   GET /api/v1/tickets?q=TERM&limit=50        the FTS candidates ranked, the
                                                                  best 50 with the list's joins
                                                                  (the candidates alone shown too)
  detail (20 replies)  GET /tickets/1 (the HTML page)             ticket row + its comments
  detail + context     GET /tickets/1?context=1 (the page with    the same, plus the requester,
                       the requester's context, as every page     their open tickets and their
                       was before it was fetched on its own)      devices
  requester context    GET /tickets/1/context (what the page's    the requester, their open
                       script fetches after the page)             tickets and their devices

Seeded databases are kept between runs (bench/data/, git-ignored): seeding a million tickets
takes minutes. Builds nothing: `cargo build --release -p piket-server -p raw-sql` first.
Exits 0 when everything was measured (targets may be missed), 1 when something failed.
"""
import argparse
import http.client
import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
import foundation as fb  # noqa: E402  (shared process and wrk helpers)

ROOT = fb.ROOT
ADMIN, ADMIN_PASSWORD = "bench-admin@example.com", "bench-admin-password-1"
TERMS = {"search rare": "kalibrasi", "search mid": "firmware", "search common": "printer"}
LIST_COLUMNS = (
    "t.id, t.title, t.description, t.requester_id, r.name AS requester_name, "
    "t.department_id, d.name AS department_name, t.category_id, c.name AS category_name, "
    "t.priority, t.status, t.assignee_id, a.name AS assignee_name, t.source, t.due_at, "
    "t.created_at, t.updated_at, t.first_response_at, t.resolved_at, t.closed_at")
LIST_JOINS = (
    "JOIN users r ON r.id = t.requester_id "
    "LEFT JOIN departments d ON d.id = t.department_id "
    "LEFT JOIN ticket_categories c ON c.id = t.category_id "
    "LEFT JOIN users a ON a.id = t.assignee_id")
LIST_SQL = f"SELECT {LIST_COLUMNS} FROM tickets t {LIST_JOINS}"


# Search ranks the newest RANKED_CANDIDATES matches (crates/piket-server/src/tickets/service.rs).
RANKED = 200
# Tickets per block lexeme of PostgreSQL's search documents (tickets/search_plan.rs BLOCK).
BLOCK = 4096


def pg_frequency(url, term):
    """The fraction of search documents holding `term` by PostgreSQL's statistics, or None when
    they leave it out of the common lexemes (tickets/search_plan.rs reads the same)."""
    res = subprocess.run(["psql", url, "-tAc",
                          "SELECT CAST(most_common_elems AS TEXT), "
                          "CAST(most_common_elem_freqs AS TEXT) FROM pg_stats WHERE "
                          "tablename = 'ticket_search' AND attname = 'all_doc'"],
                         capture_output=True, text=True)
    elems, _, freqs = res.stdout.strip().partition("|")
    words = [w.strip('"') for w in elems.strip("{}").split(",") if w]
    values = [float(f) for f in freqs.strip().strip("{}").split(",") if f]
    return dict(zip(words, values)).get(term.lower())


def pg_rare(url, term):
    """Whether the server collects every match of `term` through the GIN index (its rule in
    search_plan.rs `plan`: 4 f^2 rows < candidates); otherwise it looks among the blocks of the
    newest tickets first."""
    f = pg_frequency(url, term)
    if f is None:
        return True
    rows = subprocess.run(["psql", url, "-tAc", "SELECT reltuples FROM pg_class WHERE relname = "
                           "'ticket_search'"], capture_output=True, text=True).stdout.strip()
    return 4 * f * f * float(rows or 0) < RANKED


def search_page(candidates):
    """A search page in raw SQL: the ranked candidates (`id`, `score`), the best 50 of them with
    the list's columns and joins, as rows (what the list's reference fetches for its page)."""
    return (f"WITH k AS MATERIALIZED ({candidates}) SELECT {LIST_COLUMNS}, p.score FROM "
            "(SELECT id, score FROM k ORDER BY score DESC, id DESC LIMIT 50) p "
            f"JOIN tickets t ON t.id = p.id {LIST_JOINS} ORDER BY p.score DESC, p.id DESC")


def candidates(backend, url):
    """Per search figure, the candidate query alone: the newest matches with their scores."""
    def search(term):
        if backend == "sqlite":
            return ("SELECT rowid AS id, -bm25(ticket_search, 10.0, 4.0, 2.0) AS score FROM ticket_search "
                    f"WHERE ticket_search MATCH '\"{term}\"' ORDER BY rowid DESC LIMIT {RANKED}")
        # The server's shapes (tickets/search_plan.rs): every match through the GIN index for a
        # rare word; for others the word's block lexemes (the `piket_window_doc` index) among
        # the blocks of the newest tickets, enough of them for 1.1 times the candidates at the
        # word's frequency, the word tested on the rows found. Ranked with the documents the
        # candidates bring along, as the server does. (Every term here is one plain word, the
        # quoted operand the server writes for it: tickets/search_query.rs.)
        words = f"to_tsquery('simple', '''{term}''')"
        if pg_rare(url, term):
            match = f"s.all_doc @@ (SELECT {words})"
        else:
            span = max(BLOCK, math.ceil(1.1 * RANKED / pg_frequency(url, term)))
            lexemes = "string_agg('''" + term + " ' || b || '''', ' | ')"
            match = (f"(s.all_doc @@ (SELECT {words})) IS TRUE AND "
                     "piket_window_doc(s.all_doc, s.ticket_id) @@ "
                     f"(SELECT CAST({lexemes} AS tsquery) FROM "
                     "(SELECT max(ticket_id) AS hi FROM ticket_search) AS x, generate_series("
                     f"GREATEST(x.hi - {span}, 0) / {BLOCK}, x.hi / {BLOCK}) AS b)")
        return ("WITH m AS MATERIALIZED (SELECT s.ticket_id AS id, s.all_doc AS doc "
                f"FROM ticket_search s WHERE {match} ORDER BY s.ticket_id + 0 DESC "
                f"LIMIT {RANKED}) SELECT m.id, CAST(ts_rank(m.doc, {words}) AS DOUBLE PRECISION) "
                "AS score FROM m")

    return {name: search(term) for name, term in TERMS.items()}


def raw_queries(backend, url):
    """The reference statements per figure (what each request costs the database at least)."""

    out = {
        "list": [LIST_SQL + " WHERE t.status = 'open' ORDER BY t.updated_at DESC, t.id DESC LIMIT 51"],
        "counts": ["SELECT status, CAST(SUM(n) AS BIGINT) AS n FROM ticket_counts GROUP BY status"],
        "detail (20 replies)": [
            LIST_SQL + " WHERE t.id = 1",
            "SELECT id, ticket_id, author_id, body, internal, created_at FROM ticket_comments "
            "WHERE ticket_id = 1 ORDER BY id",
        ],
    }
    requester = "(SELECT requester_id FROM tickets WHERE id = 1)"
    out["requester context"] = [
        f"SELECT id, email, name, locale, created_at FROM users WHERE id = {requester}",
        LIST_SQL + f" WHERE t.requester_id = {requester} AND t.status IN ('new', 'open', "
        "'pending') ORDER BY t.updated_at DESC, t.id DESC LIMIT 11",
        f"SELECT * FROM hardware_assets WHERE owner_id = {requester} ORDER BY id LIMIT 10",
    ]
    out["detail + context"] = out["detail (20 replies)"] + out["requester context"]
    for name, statement in candidates(backend, url).items():
        out[name] = [search_page(statement)]
    return out


PATHS = {
    "list": ("/api/v1/tickets?status=open&limit=50", "key"),
    "counts": ("/api/v1/tickets/counts", "key"),
    "search rare": ("/api/v1/tickets?q=kalibrasi&limit=50", "key"),
    "search mid": ("/api/v1/tickets?q=firmware&limit=50", "key"),
    "search common": ("/api/v1/tickets?q=printer&limit=50", "key"),
    "detail (20 replies)": ("/tickets/1", "cookie"),
    "detail + context": ("/tickets/1?context=1", "cookie"),
    "requester context": ("/tickets/1/context", "cookie"),
}
# (absolute p99 target in ms at 16 connections, ratio target against raw) per figure.
TARGETS = {
    "list": (25, 3), "counts": (5, None), "search rare": (10, 2), "search mid": (10, 2),
    "search common": (50, 2), "detail (20 replies)": (5, None),
    "detail + context": (10, None), "requester context": (5, None),
}


def ms(text):
    """wrk's latency text (e.g. 812.00us, 3.41ms, 1.02s) in ms."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text or "")
    if not m:
        raise fb.BenchError(f"cannot read latency {text!r}")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def piket(args, *words, stdin=""):
    return fb.run_cli([args.piket, *words], stdin=stdin)


def prepare(args, backend, log):
    """A seeded database for this backend (reused when present); returns CLI location words."""
    name = f"{backend}-{args.tickets}-{args.seed}"
    data = ROOT / "bench" / "data" / name
    data.mkdir(parents=True, exist_ok=True)
    where = ["--data", str(data)]
    if backend == "postgres":
        db = f"piket_bench_{args.tickets}_{args.seed}"
        admin_url = args.pg_url
        exists = subprocess.run(["psql", admin_url, "-tAc",
                                 f"SELECT 1 FROM pg_database WHERE datname = '{db}'"],
                                capture_output=True, text=True)
        if exists.returncode != 0:
            raise fb.BenchError(f"psql: {exists.stderr}")
        if exists.stdout.strip() != "1":
            subprocess.run(["psql", admin_url, "-c", f"CREATE DATABASE {db}"], check=True,
                           capture_output=True)
        where += ["--database-url", admin_url.rsplit("/", 1)[0] + "/" + db]
    marker = data / "seeded"
    if not marker.exists():
        print(f"seeding {args.tickets} tickets on {backend} (once; kept in {data}) ...", flush=True)
        t0 = time.perf_counter()
        res = subprocess.run([args.piket, *where, "seed", "--tickets", str(args.tickets),
                              "--seed", str(args.seed)], capture_output=True, text=True,
                             timeout=4 * 3600, env=fb.ENV)
        if res.returncode != 0:
            raise fb.BenchError(f"seeding failed: {res.stderr}")
        out = res.stdout
        print(f"  {out.strip()} [{time.perf_counter() - t0:.0f} s wall]", flush=True)
        marker.write_text(out)
        # A fresh load leaves gigabytes of dirty pages (and PostgreSQL a checkpoint) to write
        # out: done here, not in the background of the first measurements (the first run after
        # a seed measured the SQLite ticket page at 19.7 ms p99 against 2.5-4.6 ms later on).
        if backend == "postgres":
            subprocess.run(["psql", where[-1], "-c", "CHECKPOINT"], check=True, capture_output=True)
        os.sync()
    try:
        piket(args, *where, "user", "create", "--email", ADMIN, "--name", "Bench Admin",
              "--role", "superadmin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    except fb.BenchError as e:
        if "exists" not in str(e) and "already" not in str(e):
            raise
    key = fb.KEY_RE.search(piket(args, *where, "apikey", "create", "--user", ADMIN,
                                 "--name", f"bench-{int(time.time())}"))
    if not key:
        raise fb.BenchError("no API key printed")
    return where, key.group(0)


def login(port):
    """A session cookie for the HTML pages (login form with its CSRF token)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/login")
    resp = conn.getresponse()
    resp.read()
    csrf = re.search(r"piket_csrf=([0-9a-f]+)", resp.getheader("set-cookie") or "")
    if not csrf:
        raise fb.BenchError("no CSRF cookie on /login")
    body = urllib.parse.urlencode({"_csrf": csrf.group(1), "email": ADMIN,
                                   "password": ADMIN_PASSWORD})
    conn.request("POST", "/login", body=body, headers={
        "content-type": "application/x-www-form-urlencoded",
        "cookie": f"piket_csrf={csrf.group(1)}", "origin": f"http://127.0.0.1:{port}"})
    resp = conn.getresponse()
    resp.read()
    session = re.search(r"piket_session=([^;]+)", resp.getheader("set-cookie") or "")
    if resp.status != 303 or not session:
        raise fb.BenchError(f"login failed: {resp.status}")
    return f"piket_session={session.group(1)}"


def raw(args, url, statements, connections):
    cmd = [args.raw_sql, "--url", url, "--concurrency", str(connections),
           "--seconds", str(args.duration)]
    for s in statements:
        cmd += ["--sql", s]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 120)
    if res.returncode != 0:
        raise fb.BenchError(f"raw-sql failed: {res.stderr}")
    return json.loads(res.stdout)


def measure(args, backend, log):
    where, key = prepare(args, backend, log)
    url = (where[where.index("--database-url") + 1] if "--database-url" in where
           else f"sqlite://{where[1]}/piket.db?mode=ro")

    def cmd_fn(a, port, data):
        return fb.piket_cmd(a, port, data) + where[2:]

    proc, port, _ = fb.start(cmd_fn, args, where[1], log)
    try:
        auth = {"key": {"X-API-Key": key}, "cookie": {"Cookie": login(port)}}
        rows = []
        alone = candidates(backend, url)
        for figure, statements in raw_queries(backend, url).items():
            if args.only and not any(figure.startswith(o) for o in args.only):
                continue
            path, how = PATHS[figure]
            status, body = fb.request(port, "GET", path, auth[how])
            if status != 200:
                raise fb.BenchError(f"{path}: {status} {body[:200]!r}")
            size = len(body)
            for conns in (1, 16):
                # One unmeasured second first (connections opened, statements prepared),
                # as raw-sql does for the reference.
                fb.wrk_load(port, path, auth[how], SimpleNamespace(connections=conns, duration=1))
                load = SimpleNamespace(connections=conns, duration=args.duration)
                http_run = fb.wrk_load(port, path, auth[how], load)
                raw_run = raw(args, url, statements, conns)
                rows.append({"backend": backend, "figure": figure, "connections": conns,
                             "piket_p99_ms": ms(http_run["p99"]), "piket_rps": http_run["rps"],
                             "raw_p99_ms": raw_run["p99_ms"], "raw_qps": raw_run["qps"],
                             "bytes": size})
                if figure in alone:
                    rows[-1]["candidates_p99_ms"] = raw(args, url, [alone[figure]], conns)["p99_ms"]
                print(f"  {backend:8} {figure:20} c={conns:<2} piket p99 "
                      f"{rows[-1]['piket_p99_ms']:8.2f} ms   raw p99 {raw_run['p99_ms']:8.2f} ms"
                      f"   {size:7} bytes",
                      flush=True)
        return rows
    finally:
        fb.stop(proc)


def verdicts(row):
    limit, ratio_max = TARGETS[row["figure"]]
    ratio = row["piket_p99_ms"] / row["raw_p99_ms"] if row["raw_p99_ms"] else float("inf")
    checks = []
    if row["connections"] == 16:
        checks.append((row["piket_p99_ms"] <= limit, f"<={limit} ms"))
        if ratio_max:
            checks.append((ratio <= ratio_max, f"<={ratio_max}x raw"))
    target = ", ".join(c[1] for c in checks) or "-"
    result = "-" if not checks else ("PASS" if all(c[0] for c in checks) else "MISS")
    return ratio, target, result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--piket", default="target/release/piket")
    p.add_argument("--raw-sql", default="target/release/raw-sql")
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--out", default="bench/results/tickets.json")
    p.add_argument("--only", default="",
                   help="comma-separated figure names (or their starts) to measure, e.g. detail")
    args = p.parse_args()
    args.only = [o.strip() for o in args.only.split(",") if o.strip()]
    for attr in ("piket", "raw_sql", "out"):
        path = Path(getattr(args, attr))
        setattr(args, attr, str(path if path.is_absolute() else ROOT / path))
    for binary in (args.piket, args.raw_sql):
        if not Path(binary).exists():
            print(f"missing {binary}: cargo build --release -p piket-server -p raw-sql", file=sys.stderr)
            return 2
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    log_path = ROOT / "bench" / "results" / "tickets-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    with open(log_path, "w") as log:
        try:
            for backend in backends:
                rows += measure(args, backend, log)
        except fb.BenchError as e:
            print(f"FAILED: {e}\n(server log: {log_path})", file=sys.stderr)
            return 1
        finally:
            for proc in list(fb.PROCS):
                fb.stop(proc)
    print(f"\n{'backend':9}{'figure':21}{'conns':>5}{'piket p99':>11}{'raw p99':>10}"
          f"{'ratio':>8}  {'target (at 16)':22}{'result':8}candidates alone")
    print("-" * 116)
    for row in rows:
        ratio, target, result = verdicts(row)
        row.update(ratio=round(ratio, 2), target=target, result=result)
        alone = row.get("candidates_p99_ms")
        extra = (f"{alone:.2f}ms ({row['piket_p99_ms'] / alone:.2f}x)" if alone else "")
        print(f"{row['backend']:9}{row['figure']:21}{row['connections']:>5}"
              f"{row['piket_p99_ms']:>9.2f}ms{row['raw_p99_ms']:>8.2f}ms{ratio:>7.2f}x  "
              f"{target:22}{result:8}{extra}")
    Path(args.out).write_text(json.dumps({"tickets": args.tickets, "seed": args.seed,
                                          "duration_s": args.duration, "rows": rows}, indent=2))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
