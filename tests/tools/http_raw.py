#!/usr/bin/env python3
"""Raw-socket HTTP/1.1 framing corpus for kgw-producer (tests/integration/0108, 0109).

usage:
  http_raw.py corpus HOST PORT TOPIC [--tls] [--only NAME,...]
      Runs every framing case against HOST:PORT on its own connection and
      prints one line per case:
          <name> <answer> health=<status>
      where <answer> is the status of each response received, comma
      separated ("-" when none), then "close" when the server closed the
      connection or "open" when it kept it; health is GET /health on a fresh
      connection afterwards. Each /produce body carries the case's name as its
      payload ("framing-<name>"), and a request hidden inside another's body
      carries "smuggled-<name>", so the caller counts what reached Kafka.
  http_raw.py seeds DIR TOPIC
      Writes each case's raw bytes to DIR/<name> (seeds for the framing fuzzer).

--tls wraps each connection in TLS without verifying the certificate (the
nginx test's self-signed one).
"""
import json
import socket
import ssl
import sys
import time

DEADLINE_S = 5.0


def produce_body(topic, name, extra=None, prefix="framing-"):
    doc = {"topic": topic, "payload": prefix + name}
    if extra:
        doc.update(extra)
    return json.dumps(doc, separators=(",", ":")).encode()


def head(lines, eol=b"\r\n"):
    return eol.join(lines) + eol + eol


def post(topic, name, fields, body=None, eol=b"\r\n", target=b"/produce"):
    """A POST of a produce body with the given extra header lines."""
    if body is None:
        body = produce_body(topic, name)
    lines = [b"POST " + target + b" HTTP/1.1", b"Host: kgw", b"Content-Type: application/json"]
    return head(lines + fields, eol), body


def smuggled(topic, name):
    """A complete second request, hidden where a lenient reader would find it."""
    body = produce_body(topic, name, prefix="smuggled-")
    return (b"POST /produce HTTP/1.1\r\nHost: kgw\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body


def chunked(data):
    return b"%x\r\n" % len(data) + data + b"\r\n0\r\n\r\n"


def cases(topic, port):
    """(name, raw bytes, expected responses, close after send) for each case."""
    out = []

    def add(name, raw, nresp=1, half_close=False):
        out.append((name, raw, nresp, half_close))

    b = produce_body(topic, "ok")
    h, _ = post(topic, "ok", [b"Content-Length: %d" % len(b)])
    add("ok", h + b)

    b = produce_body(topic, "cl-same")
    h, _ = post(topic, "cl-same", [b"Content-Length: %d" % len(b)] * 2)
    add("cl-same", h + b)

    # Differing values: one reader takes the short one and reads the rest as a request.
    b = produce_body(topic, "cl-differ")
    s = smuggled(topic, "cl-differ")
    h, _ = post(topic, "cl-differ", [b"Content-Length: %d" % (len(b) + len(s)),
                                     b"Content-Length: %d" % len(b)])
    add("cl-differ", h + b + s, 2)

    for tag, val in [("plus", b"+%d"), ("space-inside", b"%d 0"), ("hex", b"0x%x"),
                     ("negative", b"-%d"), ("list", b"%d, %d"), ("empty", b""),
                     ("overflow", b"99999999999999999999999%d")]:
        name = "cl-malformed-" + tag
        b = produce_body(topic, name)
        n = val.count(b"%")
        v = val % ((len(b),) * n) if n else val
        h, _ = post(topic, name, [b"Content-Length: " + v])
        add(name, h + b)

    # Content-Length and chunked: the classic CL.TE / TE.CL desync.
    name = "cl-and-te"
    b = produce_body(topic, name)
    s = smuggled(topic, name)
    body = chunked(b) + s
    h, _ = post(topic, name, [b"Content-Length: %d" % len(chunked(b)),
                              b"Transfer-Encoding: chunked"])
    add(name, h + body, 2)

    b = produce_body(topic, "te-chunked")
    h, _ = post(topic, "te-chunked", [b"Transfer-Encoding: chunked"])
    add("te-chunked", h + chunked(b))

    for tag, val in [("gzip", b"gzip"), ("chunked-not-last", b"chunked, gzip"),
                     ("gzip-chunked", b"gzip, chunked"), ("twice", b"chunked, chunked"),
                     ("identity", b"identity"), ("chunkedx", b"chunkedx")]:
        name = "te-" + tag
        b = produce_body(topic, name)
        h, _ = post(topic, name, [b"Transfer-Encoding: " + val])
        add(name, h + chunked(b) + smuggled(topic, name), 2)

    name = "te-two-lines"
    b = produce_body(topic, name)
    h, _ = post(topic, name, [b"Transfer-Encoding: chunked", b"Transfer-Encoding: gzip"])
    add(name, h + chunked(b))

    # A space before the colon: RFC 9112 5.1 says reject; a lenient reader sees
    # no Content-Length and reads the body as the next request.
    name = "cl-space-before-colon"
    s = smuggled(topic, name)
    h, _ = post(topic, name, [b"Content-Length : %d" % len(s)])
    add(name, h + s, 2)

    for tag, ch in [("nul", b"\x00"), ("cr", b"\r"), ("vt", b"\x0b")]:
        name = "value-" + tag
        b = produce_body(topic, name)
        h, _ = post(topic, name, [b"Content-Length: %d" % len(b), b"X-Note: a" + ch + b"b"])
        add(name, h + b)

    name = "obs-fold"
    b = produce_body(topic, name)
    h, _ = post(topic, name, [b"Content-Length: %d" % len(b), b"X-Note: a", b" folded text"])
    add(name, h + b)

    # libmicrohttpd 0.9.75 appends a folded line to the field's name, so a
    # fold of one token is indistinguishable from a field of that longer name.
    name = "obs-fold-token"
    b = produce_body(topic, name)
    h, _ = post(topic, name, [b"Content-Length: %d" % len(b), b"X-Note: a", b" folded"])
    add(name, h + b)

    name = "obs-fold-cl"
    b = produce_body(topic, name)
    h, _ = post(topic, name, [b"X-Note: a", b"\tContent-Length: %d" % len(b)])
    add(name, h + b)

    name = "bare-lf"
    b = produce_body(topic, name)
    h, _ = post(topic, name, [b"Content-Length: %d" % len(b)], eol=b"\n")
    add(name, h + b)

    name = "chunk-size-overflow"
    b = produce_body(topic, name)
    h, _ = post(topic, name, [b"Transfer-Encoding: chunked"])
    add(name, h + b"1000000000000000" + b"%x\r\n" % len(b) + b + b"\r\n0\r\n\r\n")

    name = "chunk-size-junk"
    b = produce_body(topic, name)
    h, _ = post(topic, name, [b"Transfer-Encoding: chunked"])
    add(name, h + b"%x;" % len(b) + b"\x00\r\n" + b + b"\r\n0\r\n\r\n")

    # A huge declared length, then the client goes away.
    name = "cl-huge-close"
    h, _ = post(topic, name, [b"Content-Length: 1000000000000"])
    add(name, h + b"{\"topic\":", 1, True)

    name = "cl-short-close"
    b = produce_body(topic, name)
    h, _ = post(topic, name, [b"Content-Length: %d" % (len(b) + 100)])
    add(name, h + b, 0, True)

    # 100 requests in one write, answered in order (offsets on partition 0 rise by one).
    reqs = []
    for i in range(100):
        b = produce_body(topic, "pipelined", {"partition": 0, "key": "p%03d" % i})
        h, _ = post(topic, "pipelined", [b"Content-Length: %d" % len(b)])
        reqs.append(h + b)
    add("pipelined-100", b"".join(reqs), 100)

    add("http-0.9", b"GET /health\r\n")

    b = produce_body(topic, "absolute-form")
    h, _ = post(topic, "absolute-form", [b"Content-Length: %d" % len(b)],
                target=b"http://127.0.0.1:%d/produce" % port)
    add("absolute-form", h + b)

    b = produce_body(topic, "no-host")
    add("no-host", b"POST /produce HTTP/1.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(b) + b)

    b = produce_body(topic, "http-1.0")
    add("http-1.0", b"POST /produce HTTP/1.0\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(b) + b)
    return out


def connect(host, port, tls):
    sock = socket.create_connection((host, port), timeout=DEADLINE_S)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        sock = ctx.wrap_socket(sock, server_hostname=host)
    return sock


def parse_responses(data):
    """Complete responses in data: a list of (status, headers dict, body)."""
    out = []
    while True:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return out, data
        lines = data[:end].split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        try:
            status = int(parts[1])
        except (IndexError, ValueError):
            return out, data
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            hdrs[k.strip().lower().decode()] = v.strip().decode(errors="replace")
        n = int(hdrs.get("content-length", "0"))
        if len(data) < end + 4 + n:
            return out, data
        out.append((status, hdrs, data[end + 4:end + 4 + n]))
        data = data[end + 4 + n:]


def exchange(host, port, tls, raw, nresp, half_close):
    """Sends raw in one write; returns (responses, closed by server)."""
    sock = connect(host, port, tls)
    sock.sendall(raw)
    if half_close:
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    data, resps, closed = b"", [], False
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except (ConnectionResetError, ssl.SSLError):
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
        resps, _ = parse_responses(data)
        # Enough answers: wait briefly only to see whether the server closes.
        if nresp and len(resps) >= nresp:
            deadline = min(deadline, time.monotonic() + 0.3)
    resps, _ = parse_responses(data)
    sock.close()
    return resps, closed


def offset_of(body):
    try:
        return json.loads(body).get("offset", -1)
    except ValueError:
        return -1


def health(host, port, tls):
    resps, _ = exchange(host, port, tls, b"GET /health HTTP/1.1\r\nHost: kgw\r\n\r\n", 1, False)
    return resps[0][0] if resps else "-"


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "seeds":
        import os
        os.makedirs(sys.argv[2], exist_ok=True)
        for name, raw, _, _ in cases(sys.argv[3], 8080):
            with open(os.path.join(sys.argv[2], name), "wb") as f:
                f.write(raw)
        return 0
    if len(sys.argv) < 5 or sys.argv[1] != "corpus":
        print(__doc__, file=sys.stderr)
        return 2
    host, port, topic = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    tls = "--tls" in sys.argv
    only = None
    if "--only" in sys.argv:
        only = set(sys.argv[sys.argv.index("--only") + 1].split(","))
    for name, raw, nresp, half_close in cases(topic, port):
        if only and name not in only:
            continue
        resps, closed = exchange(host, port, tls, raw, nresp, half_close)
        statuses = ",".join(str(r[0]) for r in resps) or "-"
        if name == "pipelined-100" and resps:
            if len(set(s for s, _, _ in resps)) == 1:
                statuses = "%dx%d" % (len(resps), resps[0][0])
            offsets = [offset_of(b) for _, _, b in resps]
            ordered = all(b == a + 1 for a, b in zip(offsets, offsets[1:]))
            statuses += " ordered" if ordered else " unordered"
        conn = ""
        if resps and resps[-1][1].get("connection", "").lower() == "close":
            conn = " conn-close"
        err = ""
        if resps and resps[0][0] >= 400:
            try:
                e = json.loads(resps[0][2])
                err = " json-error" if "error" in e else ""
            except ValueError:
                err = " non-json"
        print("%s %s%s%s %s health=%s" % (name, statuses, err, conn,
                                         "close" if closed else "open", health(host, port, tls)),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
