#!/usr/bin/env python3
"""A/B of two `piket` builds on the ticket benchmark's seeded database: the same requests as
`bench/tickets.py`, at one concurrency, alternating base and head in rounds, so both meet the
same machine (these machines drift by tens of percent within minutes; compare within a run).

  cp target/release/piket /tmp/piket-base          # before the change
  cargo build --release -p piket-server            # after it
  python3 bench/ab.py --base /tmp/piket-base --head target/release/piket --backend sqlite

Prints p99 and requests per second for each figure, build and round, then the head/base
throughput ratio over all rounds. Seeds the database on first use, as tickets.py does.
"""
import argparse
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
import foundation as fb  # noqa: E402
import tickets as tk  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base", required=True, help="the piket binary before the change")
    p.add_argument("--head", required=True, help="the piket binary after the change")
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--figures", default="detail (20 replies),search rare,search mid,list",
                   help=f"comma-separated, from: {', '.join(tk.PATHS)}")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--duration", type=int, default=4)
    p.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args()
    figures = [f.strip() for f in args.figures.split(",")]
    unknown = [f for f in figures if f not in tk.PATHS]
    if unknown:
        print(f"unknown figures: {unknown}", file=sys.stderr)
        return 2
    builds = {"base": str(Path(args.base).resolve()), "head": str(Path(args.head).resolve())}
    for path in builds.values():
        if not Path(path).exists():
            print(f"missing {path}", file=sys.stderr)
            return 2
    args.piket = builds["head"]
    log_path = fb.ROOT / "bench" / "results" / "ab-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    results = {}
    with open(log_path, "w") as log:
        try:
            where, key = tk.prepare(args, args.backend, log)
            for _ in range(args.rounds):
                for name, binary in builds.items():
                    args.piket = binary

                    def cmd_fn(a, port, data):
                        return fb.piket_cmd(a, port, data) + where[2:]

                    proc, port, _ = fb.start(cmd_fn, args, where[1], log)
                    try:
                        auth = {"key": {"X-API-Key": key}, "cookie": {"Cookie": tk.login(port)}}
                        for figure in figures:
                            path, how = tk.PATHS[figure]
                            warm = SimpleNamespace(connections=args.connections, duration=1)
                            fb.wrk_load(port, path, auth[how], warm)
                            load = SimpleNamespace(connections=args.connections,
                                                   duration=args.duration)
                            run = fb.wrk_load(port, path, auth[how], load)
                            results.setdefault((figure, name), []).append(
                                (tk.ms(run["p99"]), run["rps"]))
                    finally:
                        fb.stop(proc)
        except fb.BenchError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    print(f"{args.backend}, {args.connections} connections, {args.rounds} rounds of "
          f"{args.duration} s (p99 ms / requests per second per round)")
    for figure in figures:
        for name in builds:
            runs = "  ".join(f"{p99:7.2f} / {rps:6.0f}" for p99, rps in results[(figure, name)])
            print(f"  {figure:20} {name}  {runs}")
        rps = {n: sum(r for _, r in results[(figure, n)]) for n in builds}
        print(f"  {figure:20} head/base throughput {rps['head'] / rps['base']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
