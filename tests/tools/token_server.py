#!/usr/bin/env python3
"""token_server.py: a small OAuth2 token endpoint for kgw's tests (python3 stdlib only).

POST /token with the client credentials grant (RFC 6749 section 4.4): the
client authenticates with HTTP Basic (client_secret_basic, id and secret
form-encoded), the body is grant_type=client_credentials[&scope=...]. Each
good request issues a new token "tok-<n>.<--token-suffix>" (n = 1, 2, ...),
valid for --expires-in seconds:

    {"access_token": "tok-1.9f3a", "token_type": "Bearer", "expires_in": 2}

Wrong credentials answer 401 {"error": "invalid_client"}, another grant 400
{"error": "unsupported_grant_type"}. --fail-first N answers the first N
requests 503 {"error": "temporarily_unavailable"} (an outage).

--log receives one JSON line per /token request: {"t", "client_id",
"client_ok", "grant_type", "scope", "status", "token"}; GET /_stats answers
{"requests": N, "issued": N}. POST /_control {"fail_first": N, "expires_in": S}
changes the settings at runtime.

  --port-file F   the port picked (written atomically once listening)
  --tls-cert F --tls-key F   serve HTTPS with this certificate and key (PEM)
  --client-id ID --client-secret-file F   the credentials accepted
"""

import argparse
import base64
import json
import os
import signal
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"requests": 0, "issued": 0}
SETTINGS = {"fail_first": 0, "expires_in": 60}
CREDS = {}
LOG = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_stats":
            with LOCK:
                self._send(200, dict(STATE))
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if self.path == "/_control":
            with LOCK:
                SETTINGS.update(json.loads(body or b"{}"))
                self._send(200, dict(SETTINGS))
            return
        form = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
        cid, csecret = None, None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            cid, csecret = urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(pw)
        grant = form.get("grant_type", [None])[0]
        scope = form.get("scope", [None])[0]
        with LOCK:
            STATE["requests"] += 1
            seq = STATE["requests"]
            client_ok = cid == CREDS["id"] and csecret == CREDS["secret"]
            token = None
            if seq <= SETTINGS["fail_first"]:
                status, out = 503, {"error": "temporarily_unavailable"}
            elif not client_ok:
                status, out = 401, {"error": "invalid_client", "error_description": "bad credentials"}
            elif grant != "client_credentials":
                status, out = 400, {"error": "unsupported_grant_type"}
            else:
                STATE["issued"] += 1
                token = "tok-%d.%s" % (STATE["issued"], CREDS["suffix"])
                status = 200
                out = {"access_token": token, "token_type": "Bearer",
                       "expires_in": SETTINGS["expires_in"]}
            if LOG:
                LOG.write(json.dumps({"t": time.time(), "client_id": cid, "client_ok": client_ok,
                                      "grant_type": grant, "scope": scope, "status": status,
                                      "token": token}) + "\n")
                LOG.flush()
        self._send(status, out)


def main():
    global LOG
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--client-secret-file", required=True)
    ap.add_argument("--expires-in", type=float, default=60)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--token-suffix", default="x", help="a random part, so tests can grep for tokens")
    a = ap.parse_args()
    CREDS["id"] = a.client_id
    CREDS["suffix"] = a.token_suffix
    with open(a.client_secret_file) as f:
        CREDS["secret"] = f.readline().rstrip("\n")
    SETTINGS["expires_in"] = a.expires_in if a.expires_in != int(a.expires_in) else int(a.expires_in)
    SETTINGS["fail_first"] = a.fail_first
    if a.log:
        LOG = open(a.log, "a", encoding="utf-8")
    ThreadingHTTPServer.daemon_threads = True
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown, daemon=True).start())
    srv.serve_forever(poll_interval=0.1)
    srv.server_close()


if __name__ == "__main__":
    main()
