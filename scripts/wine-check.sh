#!/usr/bin/env bash
# Builds piket-agent.exe for Windows and runs it under Wine: `--version`, `inventory` and
# `inventory --json`, whose JSON must name the OS and its build, the CPU, the memory, the maker
# and model, and at least one disk; then `enroll` and `report` against a fake server on
# 127.0.0.1 (tests/wine/fake_server.py), with the default config path; then the package's
# install.cmd and uninstall.cmd (scripts/package-windows.sh, so dist/ is refreshed). Exits
# non-zero when a step fails or a field is missing.
# Needs (Debian): gcc-mingw-w64-x86-64 wine wine64 python3, and the Rust target
# x86_64-pc-windows-gnu (added here when missing). No display, no stdin; safe to run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
target_dir=${CARGO_TARGET_DIR:-$repo/target}

# Each step prints how long it took (milliseconds: Wine's steps are short).
now_ms() { date +%s%3N; }
step_started=0
step_name=""
step() {
  [ -n "$step_name" ] && echo "   ($step_name took $(( $(now_ms) - step_started )) ms)"
  step_started=$(now_ms)
  step_name=$1
  [ -n "$1" ] && echo "== $1"
  return 0
}
fail() { echo "wine-check: FAIL: $*" >&2; exit 1; }

for tool in x86_64-w64-mingw32-gcc wine wineboot wineserver python3; do
  command -v "$tool" >/dev/null ||
    fail "$tool is missing: apt-get install -y gcc-mingw-w64-x86-64 wine wine64 python3"
done

work=$(mktemp -d /tmp/piket-wine-check.XXXXXX)
export WINEPREFIX=$work/prefix WINEDEBUG=-all
# Stop this prefix's wineserver (only ours: it is found through WINEPREFIX) and clean up.
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  wineserver -k >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step "Rust target x86_64-pc-windows-gnu"
rustup target list --installed | grep -qx x86_64-pc-windows-gnu ||
  rustup target add x86_64-pc-windows-gnu

step "cargo build -p piket-agent --target x86_64-pc-windows-gnu --release"
cargo build -p piket-agent --target x86_64-pc-windows-gnu --release
exe=$target_dir/x86_64-pc-windows-gnu/release/piket-agent.exe
[ -f "$exe" ] || fail "no $exe after the build"
echo "   $(stat -c %s "$exe") bytes"

step "test-only bcryptprimitives.dll (ProcessPrng, which Wine 8 lacks)"
mkdir -p "$work/bin"
cp "$exe" "$work/bin/piket-agent.exe"
x86_64-w64-mingw32-gcc -O2 -shared -o "$work/bin/bcryptprimitives.dll" \
  tests/wine/bcryptprimitives.c -ladvapi32

step "Wine prefix (first run, $(wine --version))"
# No Mono or Gecko: nothing here needs them, and their installers would ask for a display.
WINEDLLOVERRIDES="mscoree,mshtml=" wineboot -i >"$work/wineboot.log" 2>&1 ||
  { cat "$work/wineboot.log" >&2; fail "wineboot could not create the prefix"; }
wineserver -w

cd "$work/bin"
step "wine piket-agent.exe --version"
version=$(wine piket-agent.exe --version </dev/null 2>"$work/stderr") ||
  { cat "$work/stderr" >&2; fail "--version failed"; }
echo "   $version"
[[ $version == "piket-agent "* ]] || fail "unexpected --version output: $version"

step "wine piket-agent.exe inventory"
wine piket-agent.exe inventory </dev/null >"$work/summary.txt" 2>"$work/stderr" ||
  { cat "$work/stderr" >&2; fail "inventory failed"; }
sed 's/^/   /' "$work/summary.txt"
grep -q '^Hostname' "$work/summary.txt" || fail "the summary has no Hostname line"

step "wine piket-agent.exe inventory --json"
wine piket-agent.exe inventory --json </dev/null >"$work/inventory.json" 2>"$work/stderr" ||
  { cat "$work/stderr" >&2; fail "inventory --json failed"; }

step "check the inventory's fields"
python3 - "$work/inventory.json" <<'PY'
import json, sys

inv = json.load(open(sys.argv[1]))


def get(*path):
    value = inv
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


required = {
    "os.name": get("os", "name"),
    "os.build": get("os", "build"),
    "cpu.model": get("cpu", "model"),
    "memory_bytes": get("memory_bytes"),
    "hardware.manufacturer": get("hardware", "manufacturer"),
    "hardware.model": get("hardware", "model"),
    "disks (model and size)": [d for d in inv.get("disks", []) if d.get("model") and d.get("size_bytes")],
}
missing = [name for name, value in required.items() if not value]
for name, value in required.items():
    shown = f"{len(value)} disk(s)" if isinstance(value, list) else value
    print(f"   {name:24} {shown if value else 'MISSING'}")
optional = ["hostname", "user", "filesystems", "interfaces", "software", "uptime_seconds"]
print("   also present:", ", ".join(k for k in optional if inv.get(k) not in (None, "", [])))
print("   absent (Wine has no value):", ", ".join(k for k in optional if inv.get(k) in (None, "", [])) or "none")
if missing:
    sys.exit("wine-check: FAIL: missing " + ", ".join(missing))
PY
step "enroll and report against a fake server on 127.0.0.1 (default config path)"
mkdir -p "$work/server"
python3 "$repo/tests/wine/fake_server.py" "$work/server" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 50); do [ -f "$work/server/port" ] && break; sleep 0.1; done
[ -f "$work/server/port" ] || fail "the fake server did not start"
url=http://127.0.0.1:$(cat "$work/server/port")
wine piket-agent.exe enroll --server "$url" --token enr_winecheck </dev/null >"$work/enroll.txt" 2>&1 ||
  { cat "$work/enroll.txt" >&2; fail "enroll failed"; }
# Wine notes that it cannot read the label of Z: (the Linux root): noise, left out.
grep -v '^wine: Read access denied' "$work/enroll.txt" | sed 's/^/   /'
# Wine runs everything as an administrator, so the default is the machine's file.
piket_dir=$WINEPREFIX/drive_c/ProgramData/Piket
[ -f "$piket_dir/config.toml" ] || fail "no config at C:\ProgramData\Piket\config.toml"
[ "$(cat "$piket_dir/device-id" 2>/dev/null)" = dev_winecheck ] ||
  fail "device-id beside the config does not hold the device id"
wine piket-agent.exe report </dev/null >"$work/report.txt" 2>&1 ||
  { cat "$work/report.txt" "$work/server.log" >&2; fail "report failed"; }
grep -v '^wine: Read access denied' "$work/report.txt" | sed 's/^/   /'
python3 - "$work/server/report.json" "$work/inventory.json" <<'PY'
import json, sys

report, local = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sent = report["inventory"]
if sent["hostname"] != local["hostname"] or sent["os"] != local["os"]:
    sys.exit("wine-check: FAIL: the report sent differs from `inventory --json`")
print(f"   the server received {sent['hostname']} ({sent['os']['name']}), protocol {report['protocol']}")
PY

step "package: install.cmd and uninstall.cmd under Wine's cmd"
(cd "$repo" && bash scripts/package-windows.sh >"$work/package.log" 2>&1) ||
  { cat "$work/package.log" >&2; fail "scripts/package-windows.sh failed"; }
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
  "$repo/dist/piket-agent-windows-x86_64.zip" "$work/package"
cp "$work/bin/bcryptprimitives.dll" "$work/package/piket-agent-windows-x86_64/"
cd "$work/package/piket-agent-windows-x86_64"
wine cmd /c install.cmd "$url" enr_winecheck </dev/null >"$work/install.txt" 2>&1 ||
  { cat "$work/install.txt" >&2; fail "install.cmd failed"; }
grep -v '^wine: Read access denied' "$work/install.txt" | sed 's/^/   /'
[ -f "$WINEPREFIX/drive_c/Program Files/Piket/piket-agent.exe" ] || fail "install.cmd copied no .exe"
[ -f "$WINEPREFIX/drive_c/Program Files/Piket/piket-desktop.exe" ] || fail "install.cmd copied no piket-desktop.exe"
# Wine's Task Scheduler stores the definition (it keeps the settings, not the boot trigger).
[ -f "$WINEPREFIX/drive_c/windows/system32/tasks/Piket Agent" ] || fail "no scheduled task"
run_key='HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run'
wine reg query "$run_key" /v "Piket Desktop" </dev/null 2>/dev/null | tr -d '\r' >"$work/run.txt"
grep -qF '"C:\Program Files\Piket\piket-desktop.exe" --server' "$work/run.txt" ||
  { cat "$work/run.txt" >&2; fail "the Run key does not start the desktop helper"; }
wine cmd /c uninstall.cmd </dev/null >"$work/uninstall.txt" 2>&1 ||
  { cat "$work/uninstall.txt" >&2; fail "uninstall.cmd failed"; }
sed 's/^/   /' "$work/uninstall.txt"
[ ! -e "$WINEPREFIX/drive_c/Program Files/Piket" ] && [ ! -e "$piket_dir" ] ||
  fail "uninstall.cmd left files behind"
! wine reg query "$run_key" /v "Piket Desktop" </dev/null >/dev/null 2>&1 ||
  fail "uninstall.cmd left the Run key"

step ""
echo "wine-check: OK"
