#!/usr/bin/env python3
"""raw_receiver.py: a webhook receiver that keeps the exact bytes of every
request head (python3 stdlib only), for tests that prove what reached the
wire (header injection). HTTP/1.1 keep-alive, Content-Length bodies only.

usage: raw_receiver.py PORT_FILE LOG
Appends one JSON line per request to LOG:
  {"head_b64": "<request line and headers, exact bytes, base64>",
   "target": "/path?query", "body_b64": "..."}
and answers 200 {"ok":true}.
"""
import base64
import json
import os
import socket
import sys
import threading

port_file, log = sys.argv[1], sys.argv[2]
lock = threading.Lock()


def serve(conn):
    buf = b""
    with conn:
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, buf = buf.split(b"\r\n\r\n", 1)
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            while len(buf) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            body, buf = buf[:length], buf[length:]
            target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
            rec = {"head_b64": base64.b64encode(head).decode(), "target": target,
                   "body_b64": base64.b64encode(body).decode()}
            with lock, open(log, "a") as f:
                f.write(json.dumps(rec) + "\n")
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 11\r\n\r\n{\"ok\":true}")


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
