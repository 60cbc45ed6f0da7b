#!/usr/bin/env python3
"""receiver.py: a recording webhook receiver for kgw's tests (python3 stdlib only).

Listens on 127.0.0.1 (HTTP/1.1, keep-alive), answers every request and
appends one JSON line per request to --log:

    {"seq": 1, "t": 1763700000.123, "method": "POST", "path": "/hook",
     "headers": {"content-type": "application/json", ...},   # names lower-cased
     "body": "<text, undecodable bytes as U+FFFD>", "status": 200,
     "conn": 3, "inflight": 2}

"conn" numbers TCP connections in accept order (keep-alive reuse shows as a
small number of distinct values) and "inflight" counts requests being handled
at the moment this one arrived, itself included (the concurrency the client
achieved).

How it answers (first rule that matches wins):
  --drop-rate P         close the connection without answering, probability P
  --reject-auth VALUE   answer 401 when the Authorization header is VALUE
                        (repeatable; at runtime {"reject_auth": [...]})
  --fail-match TEXT     answer --fail-match-status (default 400) when the body
                        contains TEXT
  --fail-first N        the first N requests answer --fail-status
  --status N            every request answers N (e.g. 503 for "target down")
  --fail-rate P         answer --fail-status with probability P (0..1)
  otherwise 200 {"ok":true}
  --fail-status N       the status of a failing answer (default 503)
  --retry-after S       add Retry-After: S to 429 and 503 answers
  --delay S             sleep S seconds before answering (fractional allowed)

Everything above except --port/--log can be changed at runtime:
  POST /_control  with a JSON object of settings, e.g. {"status": 503} or
                  {"status": 0, "fail_rate": 0.5} (names as the flags, '-'
                  replaced by '_'; "status": 0 clears a fixed status);
                  answers the full current settings.
  GET  /_stats    {"requests": N, "connections": N, "max_inflight": N,
                   "by_status": {"200": N, ...}}
Neither is recorded in the log nor counted.

  --port N        0 (default) picks a free port; --port-file F receives it
                  (written atomically once listening), so tests avoid races.
  --no-log        record nothing (for load tests), still counts /_stats.
  --quiet         no access log on stderr (default: quiet; --verbose for it).

  --tls-cert F --tls-key F   serve HTTPS with this certificate and key (PEM).
  --tls-client-ca F   and require a client certificate issued by the CA in F
                  (mutual TLS): a client without one fails the handshake;
                  the log line gets "client_cn", the certificate's CN.
  --verify-secret S   check each request's Standard Webhooks signature with
                  secret S ("whsec_<base64>"), independently of kgw (Python's
                  hmac): the log line gets "sig_ok": true or false.

Stops on SIGTERM/SIGINT.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import signal
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SETTINGS = {
    "status": 0,
    "fail_rate": 0.0,
    "fail_status": 503,
    "fail_first": 0,
    "fail_match": None,
    "fail_match_status": 400,
    "drop_rate": 0.0,
    "delay": 0.0,
    "retry_after": None,
    "reject_auth": [],
}
LOCK = threading.Lock()
STATE = {"seq": 0, "inflight": 0, "max_inflight": 0, "connections": 0, "by_status": {}}
LOG = None
VERIFY_KEY = None


def signature_ok(headers, body):
    """Standard Webhooks: v1,<base64 HMAC-SHA256 of "id.timestamp.body">;
    the header may carry several space-separated signatures."""
    msg = "%s.%s." % (headers.get("webhook-id", ""), headers.get("webhook-timestamp", ""))
    mac = hmac.new(VERIFY_KEY, msg.encode() + body, hashlib.sha256).digest()
    want = "v1," + base64.b64encode(mac).decode()
    return any(hmac.compare_digest(want, sig) for sig in headers.get("webhook-signature", "").split())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kgw-test-receiver"
    verbose = False
    # Headers and body leave in one segment (flushed after each request) and
    # without Nagle: otherwise Nagle + delayed ACK cost 40 ms per request.
    wbufsize = 65536
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        with LOCK:
            STATE["connections"] += 1
            self.conn_id = STATE["connections"]

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("receiver: " + (fmt % args) + "\n")

    def _send(self, status, body=b'{"ok":true}', extra=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def do_GET(self):
        if self.path == "/_stats":
            with LOCK:
                out = {
                    "requests": STATE["seq"],
                    "connections": STATE["connections"],
                    "max_inflight": STATE["max_inflight"],
                    "by_status": dict(STATE["by_status"]),
                }
            self._send(200, json.dumps(out).encode())
            return
        self._handle(b"")

    def do_POST(self):
        body = self._read_body()
        if self.path == "/_control":
            try:
                changes = json.loads(body or b"{}")
                with LOCK:
                    for k, v in changes.items():
                        if k not in SETTINGS:
                            raise KeyError(k)
                        SETTINGS[k] = v
                    out = dict(SETTINGS)
                self._send(200, json.dumps(out).encode())
            except (ValueError, KeyError) as e:
                self._send(400, json.dumps({"error": str(e)}).encode())
            return
        self._handle(body)

    do_PUT = do_POST

    def _decide(self, seq, body):
        s = SETTINGS
        if s["drop_rate"] and random.random() < s["drop_rate"]:
            return None
        if s["reject_auth"] and self.headers.get("Authorization") in s["reject_auth"]:
            return 401
        if s["fail_match"] and s["fail_match"].encode() in body:
            return s["fail_match_status"]
        if seq <= s["fail_first"]:
            return s["fail_status"]
        if s["status"]:
            return s["status"]
        if s["fail_rate"] and random.random() < s["fail_rate"]:
            return s["fail_status"]
        return 200

    def _handle(self, body):
        with LOCK:
            STATE["seq"] += 1
            seq = STATE["seq"]
            STATE["inflight"] += 1
            inflight = STATE["inflight"]
            STATE["max_inflight"] = max(STATE["max_inflight"], inflight)
            settings = dict(SETTINGS)
        try:
            t = time.time()
            if settings["delay"]:
                time.sleep(float(settings["delay"]))
            status = self._decide(seq, body)
            with LOCK:
                key = str(status if status is not None else "dropped")
                STATE["by_status"][key] = STATE["by_status"].get(key, 0) + 1
                if LOG is not None:
                    rec = {
                        "seq": seq,
                        "t": t,
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        # every line's name, in order: a header sent twice shows here
                        "header_names": [k.lower() for k in self.headers.keys()],
                        "body": body.decode("utf-8", "replace"),
                        "status": status,
                        "conn": self.conn_id,
                        "inflight": inflight,
                    }
                    cert = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
                    if cert:
                        rec["client_cn"] = dict(x[0] for x in cert["subject"]).get("commonName")
                    if VERIFY_KEY is not None:
                        rec["sig_ok"] = signature_ok(rec["headers"], body)
                    LOG.write(json.dumps(rec) + "\n")
                    LOG.flush()
        finally:
            with LOCK:
                STATE["inflight"] -= 1
        if status is None:
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        extra = {}
        if settings["retry_after"] is not None and status in (429, 503):
            extra["Retry-After"] = str(settings["retry_after"])
        if 200 <= status < 300:
            self._send(status, extra=extra)
        else:
            self._send(status, json.dumps({"error": status}).encode(), extra)


def main():
    global LOG, VERIFY_KEY
    ap = argparse.ArgumentParser(
        description="Recording webhook receiver for kgw tests (see the module docstring).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log", help="JSONL file receiving one line per request")
    ap.add_argument("--no-log", action="store_true")
    ap.add_argument("--status", type=int, default=0)
    ap.add_argument("--fail-rate", type=float, default=0.0)
    ap.add_argument("--fail-status", type=int, default=503)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--fail-match")
    ap.add_argument("--fail-match-status", type=int, default=400)
    ap.add_argument("--drop-rate", type=float, default=0.0)
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--retry-after")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-client-ca")
    ap.add_argument("--reject-auth", action="append", default=[])
    ap.add_argument("--verify-secret")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--quiet", action="store_true", help="the default; kept for scripts")
    a = ap.parse_args()
    for k in SETTINGS:
        SETTINGS[k] = getattr(a, k)
    if a.log and not a.no_log:
        LOG = open(a.log, "a", encoding="utf-8")
    Handler.verbose = a.verbose
    if a.verify_secret:
        secret = a.verify_secret
        VERIFY_KEY = base64.b64decode(secret[6:] if secret.startswith("whsec_") else secret)

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 256
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        if a.tls_client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(a.tls_client_ca)
        # A client refusing the certificate fails the handshake in accept(),
        # an OSError the server ignores.
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, a.port_file)

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("receiver listening on 127.0.0.1:%d" % port, file=sys.stderr, flush=True)
    srv.serve_forever(poll_interval=0.1)
    srv.server_close()


if __name__ == "__main__":
    main()
