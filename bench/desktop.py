#!/usr/bin/env python3
"""Desktop helper benchmark (issue #20), under Xvfb with the jwm window manager:

  figure                         Piket                                    reference
  F8 to form on screen           XTEST F8 -> mapped and drawn (median 20) an X window of our own,
                                 (bench/x11_form_timer.py)                mapped and filled
  desktop idle RSS               VmRSS linked, idle 3 s; again after      (absolute target: 25 MB)
                                 one report
  run idle RSS                   bench/inventory.py's measure              (absolute target: 7 MB)
  report on the wire             multipart body the helper sent           the seed's helper: an
                                 (PNG of the screen + details)            uncompressed RGB PNG of
                                                                          the same screen
  report time                    Submit -> ticket filed, as the helper    —
                                 logs it
  binary sizes                   target/release/piket-agent, and the      —
                                 Windows .exe when built

Builds nothing: `cargo build --release -p piket-server -p piket-agent` first (and the Windows
target for its size). Needs Xvfb, jwm, xdotool and Debian's python3-xlib (`/usr/bin/python3`).
"""
import argparse
import http.cookiejar
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import foundation as fb  # noqa: E402
import inventory  # noqa: E402

ROOT = fb.ROOT
HERE = Path(__file__).resolve().parent


def wait_for(what, check, seconds=30):
    end = time.time() + seconds
    while time.time() < end:
        v = check()
        if v:
            return v
        time.sleep(0.05)
    raise fb.BenchError(f"timed out waiting for {what}")


def confirm_link(base, url, code):
    """Sign in as the bench admin and confirm the helper's link, as a browser would."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/login").read()
    csrf = next(c.value for c in jar if c.name.endswith("csrf"))
    form = urllib.parse.urlencode({"_csrf": csrf, "email": fb.EMAIL,
                                   "password": fb.PASSWORD.strip()}).encode()
    opener.open(f"{base}/login", data=form).read()
    body = opener.open(url, data=urllib.parse.urlencode({"_csrf": csrf, "code": code}).encode()).read()
    if b'data-status="linked"' not in body:
        raise fb.BenchError("the link was not confirmed")


def png_stored_size(width, height, channels=3):
    """Bytes of a PNG whose image data is stored without compression (zlib level 0), as the
    seed's helper sends a screen: signature, IHDR, IDAT with the raw rows (one filter byte
    each) in 65 535-byte stored blocks, IEND."""
    raw = height * (1 + width * channels)
    blocks = -(-raw // 65535)
    zlib = 2 + raw + 5 * blocks + 4
    return 8 + (12 + 13) + (12 + zlib) + 12


def rss_mb(pid):
    return fb.rss_mb(pid)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--piket", default=str(ROOT / "target/release/piket"))
    p.add_argument("--agent", default=str(ROOT / "target/release/piket-agent"),
                   help="piket-agent; piket-desktop is taken from beside it")
    p.add_argument("--exe", default=str(ROOT / "target/x86_64-pc-windows-gnu/release/piket-agent.exe"))
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--size", default="1920x1080", help="the Xvfb screen")
    args = p.parse_args()
    for tool in ("Xvfb", "jwm", "xdotool"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed (apt-get install xvfb jwm xdotool)")
    tmp = tempfile.mkdtemp(prefix="bench-desktop-")
    log = open(Path(tmp) / "server.log", "w")
    data = tempfile.mkdtemp(prefix="data-", dir=tmp)
    key = fb.create_api_key(argparse.Namespace(piket=args.piket), data)
    server, port, _ = fb.start(fb.piket_cmd, args, data, log)
    base = f"http://127.0.0.1:{port}"
    display = f":{60 + os.getpid() % 30}"
    xenv = {**fb.ENV, "DISPLAY": display}
    procs = []
    try:
        procs.append(subprocess.Popen(["Xvfb", display, "-screen", "0", f"{args.size}x24", "-nolisten", "tcp"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for("Xvfb", lambda: Path(f"/tmp/.X11-unix/X{display[1:]}").exists())
        procs.append(subprocess.Popen(["jwm"], env=xenv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        # A tray host on a session bus of its own, when installed: the helper idles as on a desk.
        if shutil.which("dbus-daemon") and shutil.which("gtk-sni-tray-standalone"):
            bus = subprocess.run(["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
                                 capture_output=True, text=True, check=True).stdout.split()
            xenv["DBUS_SESSION_BUS_ADDRESS"] = bus[0]
            procs.append(subprocess.Popen(["kill", "-0", bus[1]]))
            procs.append(subprocess.Popen(["gtk-sni-tray-standalone", "--watcher", "--bottom"], env=xenv,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            bus_pid = int(bus[1])
        else:
            bus_pid = None
        time.sleep(1.0)
        opened = Path(tmp) / "opened.txt"
        script = Path(tmp) / "browser.sh"
        script.write_text(f"#!/bin/sh\necho \"$1\" >> {opened}\n")
        script.chmod(0o755)
        helper_log = Path(tmp) / "helper.log"
        env = {**xenv, "PIKET_DESKTOP_DIR": str(Path(tmp) / "desktop"),
               "PIKET_DESKTOP_BROWSER": str(script), "PIKET_LANG": "en"}
        # `piket-agent desktop` execs piket-desktop: the pid stays the helper's.
        helper = subprocess.Popen([args.agent, "desktop", "--server", base], env=env,
                                  stdout=subprocess.DEVNULL, stderr=open(helper_log, "w"))
        procs.append(helper)
        url = wait_for("the link page", lambda: opened.exists() and opened.read_text().strip())
        code = re.search(r"code ([A-Z0-9]{4}-[A-Z0-9]{4})", helper_log.read_text()).group(1)
        confirm_link(base, url, code)
        wait_for("the link", lambda: "linked as" in helper_log.read_text())
        subprocess.run(["xdotool", "key", "Escape"], env=xenv)  # the link window
        time.sleep(3)
        idle_start = rss_mb(helper.pid)

        timer = subprocess.run(["/usr/bin/python3", str(HERE / "x11_form_timer.py"), str(args.runs)],
                               env=xenv, capture_output=True, text=True, timeout=600)
        if timer.returncode != 0:
            raise fb.BenchError(f"x11_form_timer: {timer.stderr[-500:]}")
        times = json.loads(timer.stdout)
        inside = [int(m) for m in re.findall(r"form drawn (\d+) ms", helper_log.read_text())]

        # One report, filed with the keyboard: its bytes on the wire and its time.
        subprocess.run(["xdotool", "key", "F8"], env=xenv)
        wait_for("the form", lambda: helper_log.read_text().count("details measured") > args.runs)
        subprocess.run(["xdotool", "type", "Bench report"], env=xenv)
        subprocess.run(["xdotool", "key", "ctrl+Return"], env=xenv)
        wait_for("the ticket", lambda: "filed ticket" in helper_log.read_text())
        text = helper_log.read_text()
        sent = int(re.findall(r"sending a report of (\d+) bytes", text)[-1])
        filed_ms = int(re.findall(r"filed (\d+) ms after Submit", text)[-1])
        subprocess.run(["xdotool", "key", "Escape"], env=xenv)
        time.sleep(3)
        idle_after = rss_mb(helper.pid)
        width, height = (int(v) for v in args.size.split("x"))
        seed_bytes = png_stored_size(width, height)
        run_rss = inventory.measure_agent_idle(argparse.Namespace(agent=args.agent), tmp, port, key)
    finally:
        for proc in reversed(procs):
            proc.terminate()
        if "bus_pid" in locals() and bus_pid:
            os.kill(bus_pid, 15)
        fb.stop(server)
    sizes = {}
    for name, path in (("piket-agent (Linux)", Path(args.agent)),
                       ("piket-desktop (Linux)", Path(args.agent).with_name("piket-desktop")),
                       ("piket-agent.exe (Windows)", Path(args.exe)),
                       ("piket-desktop.exe (Windows)", Path(args.exe).with_name("piket-desktop.exe"))):
        if path.exists():
            sizes[name] = path.stat().st_size
    form_median = statistics.median(times["form_ms"])
    ref_median = statistics.median(times["reference_ms"])
    print(f"desktop helper, {args.size} screen, {args.runs} runs, Xvfb + jwm")
    print(f"  F8 to form on screen      median {form_median:7.1f} ms  (target <= 300)  "
          f"reference window {ref_median:.1f} ms  ratio {form_median / ref_median:.1f}x")
    print(f"    min/max                 {min(times['form_ms']):.1f} / {max(times['form_ms']):.1f} ms; "
          f"the helper's own count, key to first frame: median {statistics.median(inside) if inside else float('nan'):.0f} ms")
    print(f"  desktop idle RSS          {idle_start:7.1f} MB linked, {idle_after:.1f} MB after a report  (target <= 25)")
    print(f"  run idle RSS              {run_rss:7.1f} MB  (target <= 7)")
    print(f"  report on the wire        {sent:9d} B  seed's uncompressed PNG of the same screen {seed_bytes} B  "
          f"ratio {sent / seed_bytes:.3f}x")
    print(f"  report time               {filed_ms:7d} ms Submit to ticket filed (loopback)")
    for name, size in sizes.items():
        print(f"  size, release, unstripped  {name:<28} {size / 1e6:6.1f} MB")


if __name__ == "__main__":
    try:
        main()
    except fb.BenchError as e:
        print(f"bench failed: {e}", file=sys.stderr)
        sys.exit(1)
