"""A stand-in Piket server for scripts/wine-check.sh: answers one enrollment and reports on
127.0.0.1, keeps each report's inventory in OUT_DIR, and stops by itself (after MAX_REQUESTS
requests or TIMEOUT seconds), so the Windows build's enroll and report run for real under Wine.

Usage: fake_server.py OUT_DIR   (writes OUT_DIR/port once listening)
"""
import gzip
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

DEVICE_ID, SECRET = "dev_winecheck", "S3cr3tS3cr3t"
MAX_REQUESTS, TIMEOUT = 10, 120
out_dir = sys.argv[1]
handled = 0


class Handler(BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        global handled
        handled += 1
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/api/v1/agent/enroll":
            if json.loads(body).get("token") != "enr_winecheck":
                return self.answer(401, {"error": "invalid_token", "message": "bad token"})
            return self.answer(200, {"device_id": DEVICE_ID, "secret": SECRET,
                                     "asset_id": 7, "report_interval_hours": 24})
        if self.path == "/api/v1/agent/inventory":
            if self.headers.get("Authorization") != f"Bearer {DEVICE_ID}.{SECRET}":
                return self.answer(401, {"error": "unauthorized", "message": "bad secret"})
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            report = json.loads(body)
            with open(f"{out_dir}/report.json", "w") as f:
                json.dump(report, f)
            return self.answer(200, {"status": "updated", "asset_id": 7,
                                     "fingerprint": self.headers.get("X-Piket-Fingerprint", ""),
                                     "report_interval_hours": 24})
        self.answer(404, {"error": "not_found", "message": self.path})

    def log_message(self, fmt, *args):
        sys.stderr.write("fake server: " + fmt % args + "\n")


server = HTTPServer(("127.0.0.1", 0), Handler)
server.timeout = 1  # handle_request returns every second, so the deadline is checked
with open(f"{out_dir}/port.tmp", "w") as f:
    f.write(str(server.server_address[1]))
# Renamed into place, so the script never reads a half-written port.
os.rename(f"{out_dir}/port.tmp", f"{out_dir}/port")
deadline = time.monotonic() + TIMEOUT
while handled < MAX_REQUESTS and time.monotonic() < deadline:
    server.handle_request()
