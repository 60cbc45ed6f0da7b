-- bench/produce.lua: wrk script posting ~1 KiB JSON bodies to /produce.
--
--   wrk -t2 -c64 -d15s --latency -s bench/produce.lua http://127.0.0.1:PORT -- TOPIC [BYTES]
--
-- Each body is {"topic":TOPIC,"key":"k<thread>-<n>","payload":{"pad":"xx..."}} of about
-- BYTES bytes (default 1024). 1,000 requests per thread are formatted once in init(),
-- so the load generator spends its time sending, not building strings.
--
-- There is deliberately no response() function: with one, wrk hands every response's
-- headers and body to Lua, which would slow the load generator on these shared cores.
-- The count of 200 answers is therefore summary.requests - summary.errors.status
-- (wrk counts statuses > 399 there; /produce answers 200 on success). done() prints one
-- machine-readable line starting with "WRK " that bench/run.sh parses; "sent" (requests
-- written) minus "requests" (responses read) is what was still in flight when wrk stopped.

local threads = {}
local next_id = 0

function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end

function init(args)
    local topic = args[1] or "bench"
    local bytes = tonumber(args[2] or "1024")
    local prefix = '{"topic":"' .. topic .. '","key":"k' .. id .. '-'
    sent = 0
    reqs = {}
    for i = 1, 1000 do
        local head = prefix .. i .. '","payload":{"pad":"'
        local tail = '"}}'
        local pad = bytes - #head - #tail
        if pad < 1 then pad = 1 end
        local body = head .. string.rep("x", pad) .. tail
        reqs[i] = wrk.format("POST", "/produce", {["Content-Type"] = "application/json"}, body)
    end
    n = 0
end

function request()
    n = n % #reqs + 1
    sent = sent + 1
    return reqs[n]
end

function done(summary, latency, requests)
    local sent_total = 0
    for _, thread in ipairs(threads) do
        sent_total = sent_total + (thread:get("sent") or 0)
    end
    local e = summary.errors
    local secs = summary.duration / 1e6
    io.write(string.format(
        "WRK requests=%d ok=%d non2xx=%d socket_errors=%d sent=%d duration_s=%.3f " ..
        "rps=%.1f p50_ms=%.3f p99_ms=%.3f\n",
        summary.requests, summary.requests - e.status, e.status,
        e.connect + e.read + e.write + e.timeout, sent_total, secs,
        summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
