// ce_receiver.js: a webhook receiver that parses every request with the
// CloudEvents SDK's HTTP binding (npm "cloudevents") and appends one JSON
// line per request to LOG: {"headers": {...}, "body": "...", "event": {...}}
// ("events": [...] for a batch) or {"headers": ..., "body": ..., "error": "<why the SDK
// refused it>"}.
// Usage: NODE_PATH=<node_modules> node ce_receiver.js PORT_FILE LOG
'use strict';
const http = require('http');
const fs = require('fs');
const { HTTP } = require('cloudevents');

const [portFile, log] = process.argv.slice(2);
const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const rec = { headers: req.headers, body };
        try {
            const ev = HTTP.toEvent({ headers: req.headers, body });
            // The batched content mode (application/cloudevents-batch+json) gives an array.
            (Array.isArray(ev) ? ev : [ev]).forEach((e) => e.validate());
            rec[Array.isArray(ev) ? 'events' : 'event'] = JSON.parse(JSON.stringify(ev));
        } catch (e) {
            rec.error = String(e && e.message ? e.message : e);
        }
        fs.appendFileSync(log, JSON.stringify(rec) + '\n');
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"ok":true}');
    });
});
server.listen(0, '127.0.0.1', () => {
    fs.writeFileSync(portFile + '.tmp', String(server.address().port));
    fs.renameSync(portFile + '.tmp', portFile);
});
