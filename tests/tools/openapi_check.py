#!/usr/bin/env python3
"""Posts every request example of kgw-producer's OpenAPI document (and calls
every GET route) against a running producer, then checks each answer against
the schema the document gives for the status it got.

    openapi_check.py PORT TOPIC

A malformed body is posted to each produce route too, and its error answer
checked the same way. Path parameters take their documented example, except {cluster_id} (the
cluster's, from GET /v3/clusters) and {topic}/{topic_name} (TOPIC). Prints one
line per call, "ok METHOD PATH MEDIA STATUS" or "FAIL ... why", and exits 1 on
any failure.
"""
import http.client
import json
import sys
import warnings

import jsonschema

warnings.filterwarnings("ignore", category=DeprecationWarning)

port, topic = int(sys.argv[1]), sys.argv[2]


def call(method, path, body=None, ctype=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": ctype} if ctype else {}
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    ct = r.getheader("Content-Type") or ""
    c.close()
    return r.status, ct, data


status, _, raw = call("GET", "/openapi.json")
doc = json.loads(raw)
cluster = json.loads(call("GET", "/v3/clusters")[2])["data"][0]["cluster_id"]
resolver = jsonschema.RefResolver(base_uri="", referrer=doc)
failed = 0
calls = 0


def fill(path, op):
    for p in op.get("parameters", []):
        if p["in"] != "path":
            continue
        v = {"cluster_id": cluster, "topic": topic, "topic_name": topic}.get(p["name"], p.get("example"))
        path = path.replace("{%s}" % p["name"], str(v))
    return path


def check(method, path, media, status, ct, data, op):
    global failed, calls
    calls += 1
    responses = op["responses"]
    r = responses.get(str(status)) or responses.get("default")
    if not r:
        failed += 1
        print(f"FAIL {method} {path} {media} {status}: status not documented")
        return
    content = r.get("content")
    if not content:
        print(f"ok {method} {path} {media} {status}")
        return
    want = ct.split(";")[0].strip()
    if want not in content:
        failed += 1
        print(f"FAIL {method} {path} {media} {status}: Content-Type {want} not documented ({list(content)})")
        return
    schema = content[want].get("schema", {})
    if want.startswith("text/"):
        instance = data.decode()
    else:
        try:
            instance = json.loads(data)
        except ValueError as e:
            failed += 1
            print(f"FAIL {method} {path} {media} {status}: not JSON: {e}")
            return
    try:
        jsonschema.Draft202012Validator(schema, resolver=resolver).validate(instance)
    except jsonschema.ValidationError as e:
        failed += 1
        print(f"FAIL {method} {path} {media} {status}: {e.message} at {list(e.absolute_path)}")
        return
    print(f"ok {method} {path} {media} {status}")


for tmpl, item in doc["paths"].items():
    for method, op in item.items():
        path = fill(tmpl, op)
        if method == "get":
            status, ct, data = call("GET", path)
            check("GET", path, "-", status, ct, data, op)
            continue
        body = op.get("requestBody", {}).get("content", {})
        n = 0
        for media, m in body.items():
            for name, ex in m.get("examples", {}).items():
                v = ex["value"]
                if isinstance(v, dict) and "topic" in v:
                    v = dict(v, topic=topic)  # a unique topic per run
                payload = v.encode() if isinstance(v, str) and not media.endswith("json") else json.dumps(v).encode()
                status, ct, data = call(method.upper(), path, payload, media)
                check(method.upper(), path, f"{media}#{name}", status, ct, data, op)
                if status >= 400 and path != "/webhook-simulator":
                    failed += 1
                    print(f"FAIL {method} {path} {media}#{name}: the example was refused: {data[:200]!r}")
                n += 1
        if n == 0:
            failed += 1
            print(f"FAIL {method} {tmpl}: no request example")
        # An error answer is documented too: a truncated JSON body.
        media = next(iter(body))
        if path != "/webhook-simulator":
            status, ct, data = call(method.upper(), path, b"{", media)
            check(method.upper(), path, f"{media}#malformed", status, ct, data, op)
            if status < 400:
                failed += 1
                print(f"FAIL {method} {path}: a malformed body was accepted")
print(f"calls {calls} failed {failed}")
sys.exit(1 if failed else 0)
