#!/usr/bin/env bash
# Builds the Windows agent from Linux and packs dist/piket-agent-windows-x86_64.zip:
# piket-agent.exe and piket-desktop.exe (stripped), install.cmd, uninstall.cmd, README.txt and piket-agent-task.xml
# (from crates/piket-agent/dist/windows, given Windows line endings). Put the zip in the server's
# <data dir>/downloads/ to offer it on /agent.
# Needs (Debian): gcc-mingw-w64-x86-64 python3, and the Rust target x86_64-pc-windows-gnu.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
name=piket-agent-windows-x86_64

rustup target list --installed | grep -qx x86_64-pc-windows-gnu ||
  rustup target add x86_64-pc-windows-gnu
cargo build -p piket-agent --target x86_64-pc-windows-gnu --release

stage=$(mktemp -d /tmp/piket-package.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name" dist
# The symbols are of no use to a deployed agent and are a third of the file.
for exe in piket-agent.exe piket-desktop.exe; do
  x86_64-w64-mingw32-strip -o "$stage/$name/$exe" "$target_dir/x86_64-pc-windows-gnu/release/$exe"
done

python3 - "$stage/$name" dist/$name.zip crates/piket-agent/dist/windows <<'PY'
import os, sys, zipfile

stage, out, sources = sys.argv[1:]
# cmd.exe reads batch files by lines and misplaces `goto`/labels in LF-only files; Notepad on
# older Windows shows LF-only text on one line. Both get CRLF.
# The task definition is UTF-16 with a byte order mark, as schtasks /XML expects (and as it
# says in its first line).
texts = {"install.cmd": "utf-8", "uninstall.cmd": "utf-8", "README.txt": "utf-8",
         "piket-agent-task.xml": "utf-16"}
for name, encoding in texts.items():
    text = open(os.path.join(sources, name), encoding="utf-8").read()
    with open(os.path.join(stage, name), "w", encoding=encoding, newline="\r\n") as f:
        f.write(text)
folder = os.path.basename(stage)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for name in ["piket-agent.exe", "piket-desktop.exe", *texts]:
        z.write(os.path.join(stage, name), f"{folder}/{name}")
for info in zipfile.ZipFile(out).infolist():
    print(f"  {info.file_size:>9}  {info.filename}")
print(f"{out}: {os.path.getsize(out)} bytes")
PY
