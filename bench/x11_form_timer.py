#!/usr/bin/python3
"""F8 to form on screen, measured from outside the helper on the X server itself (python-xlib,
Debian's python3-xlib): press the key through XTEST, wait for a new top-level window to be
mapped, then read one pixel at its centre until it is drawn (not black); Escape closes it.

The reference, in the same run: this script opening, mapping and filling a window of its own
(the floor any form on this X server pays). Prints JSON: {"form_ms": [...], "reference_ms": [...]}.
"""
import json
import sys
import time

from Xlib import X, XK, display
from Xlib.ext import xtest


def press(d, keysym, mods=()):
    codes = [d.keysym_to_keycode(XK.string_to_keysym(m)) for m in mods]
    key = d.keysym_to_keycode(XK.string_to_keysym(keysym))
    for c in codes + [key]:
        xtest.fake_input(d, X.KeyPress, c)
    for c in reversed(codes + [key]):
        xtest.fake_input(d, X.KeyRelease, c)
    d.sync()


def drawn(d, win):
    """Whether the window's centre shows something other than black (the unpainted frame)."""
    try:
        geo = win.get_geometry()
        img = win.get_image(geo.width // 2, geo.height // 2, 1, 1, X.ZPixmap, 0xFFFFFFFF)
        return img.data[:3] != b"\x00\x00\x00"
    except Exception:  # the window may be reparented or gone for a moment
        return False


def wait_map(d, root, deadline):
    while time.perf_counter() < deadline:
        while d.pending_events():
            e = d.next_event()
            if e.type == X.MapNotify and e.window != root:
                return e.window
        time.sleep(0.0005)
    raise SystemExit("no window was mapped")


def form_once(d, root):
    t0 = time.perf_counter()
    press(d, "F8")
    deadline = t0 + 10
    win = wait_map(d, root, deadline)
    # Under a window manager the mapped window is the frame; its child holds our pixels.
    target = win
    while True:
        kids = target.query_tree().children
        if not kids:
            break
        target = kids[-1]
    while time.perf_counter() < deadline and not drawn(d, target):
        time.sleep(0.0005)
    ms = (time.perf_counter() - t0) * 1000.0
    time.sleep(0.3)
    press(d, "Escape")
    # Wait for it to go before the next press.
    end = time.perf_counter() + 5
    while time.perf_counter() < end:
        while d.pending_events():
            e = d.next_event()
            if e.type == X.UnmapNotify:
                time.sleep(0.2)
                return ms
        time.sleep(0.001)
    return ms


def reference_once(d, root):
    screen = d.screen()
    t0 = time.perf_counter()
    win = root.create_window(100, 100, 600, 680, 0, screen.root_depth, X.InputOutput,
                             X.CopyFromParent, background_pixel=screen.black_pixel,
                             event_mask=X.ExposureMask)
    win.map()
    d.sync()
    wait_map(d, root, t0 + 10)
    gc = win.create_gc(foreground=0xF5F5F5)
    win.fill_rectangle(gc, 0, 0, 600, 680)
    d.sync()
    while not drawn(d, win):
        time.sleep(0.0005)
    ms = (time.perf_counter() - t0) * 1000.0
    win.destroy()
    d.sync()
    time.sleep(0.2)
    return ms


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    d = display.Display()
    root = d.screen().root
    root.change_attributes(event_mask=X.SubstructureNotifyMask)
    d.sync()
    form = [form_once(d, root) for _ in range(runs)]
    reference = [reference_once(d, root) for _ in range(runs)]
    print(json.dumps({"form_ms": form, "reference_ms": reference}))


if __name__ == "__main__":
    main()
