-- bench/batch.lua: wrk script posting 100-record batches to /produce.
--
--   wrk -t2 -c8 -d15s -s bench/batch.lua http://127.0.0.1:PORT -- TOPIC [RECORDS] [BYTES]
--
-- Each body is {"topic":TOPIC,"messages":[{"key":"k..","payload":{"pad":"xx.."}},...]}
-- with RECORDS records (default 100) of about BYTES bytes each (default 1024). A batch
-- answers 200 only when every record was delivered, and 207 (a 2xx wrk would count as
-- success) when some failed, so response() counts the 200s itself; at a few thousand
-- requests per second that costs the load generator little. done() prints one line
-- starting with "WRK " that bench/run.sh parses; ok counts 200 answers (batches).

local threads = {}
local next_id = 0

function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end

function init(args)
    local topic = args[1] or "bench"
    local records = tonumber(args[2] or "100")
    local bytes = tonumber(args[3] or "1024")
    sent = 0
    ok = 0
    reqs = {}
    for i = 1, 20 do
        local msgs = {}
        for r = 1, records do
            local head = '{"key":"k' .. id .. '-' .. i .. '-' .. r .. '","payload":{"pad":"'
            local tail = '"}}'
            local pad = bytes - #head - #tail
            if pad < 1 then pad = 1 end
            msgs[r] = head .. string.rep("x", pad) .. tail
        end
        local body = '{"topic":"' .. topic .. '","messages":[' .. table.concat(msgs, ",") .. ']}'
        reqs[i] = wrk.format("POST", "/produce", {["Content-Type"] = "application/json"}, body)
    end
    n = 0
end

function request()
    n = n % #reqs + 1
    sent = sent + 1
    return reqs[n]
end

function response(status, headers, body)
    if status == 200 then
        ok = ok + 1
    end
end

function done(summary, latency, requests)
    local sent_total, ok_total = 0, 0
    for _, thread in ipairs(threads) do
        sent_total = sent_total + (thread:get("sent") or 0)
        ok_total = ok_total + (thread:get("ok") or 0)
    end
    local e = summary.errors
    local secs = summary.duration / 1e6
    io.write(string.format(
        "WRK requests=%d ok=%d non2xx=%d socket_errors=%d sent=%d duration_s=%.3f " ..
        "rps=%.1f p50_ms=%.3f p99_ms=%.3f\n",
        summary.requests, ok_total, e.status,
        e.connect + e.read + e.write + e.timeout, sent_total, secs,
        summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
