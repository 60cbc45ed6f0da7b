// v1a_verify.js: checks the Standard Webhooks v1a (ed25519) signatures of
// every request a receiver.py log holds, with Node's own crypto.verify and
// the PEM public key (openssl pkey -pubout): npm "standardwebhooks" 1.1.1
// verifies v1 only and skips v1a. Signed content: "<id>.<timestamp>.<body>".
// Prints "<key index> <verified> <total>" per public key file given.
// Usage: node v1a_verify.js LOG PUBKEY.pem...
'use strict';
const crypto = require('crypto');
const fs = require('fs');

const [log, ...keys] = process.argv.slice(2);
const recs = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
keys.forEach((file, i) => {
    const pub = crypto.createPublicKey(fs.readFileSync(file));
    let good = 0;
    for (const r of recs) {
        const h = r.headers;
        const msg = Buffer.from(`${h['webhook-id']}.${h['webhook-timestamp']}.${r.body}`);
        const sigs = (h['webhook-signature'] || '').split(' ').filter((s) => s.startsWith('v1a,'));
        if (sigs.length === 1 && crypto.verify(null, msg, pub, Buffer.from(sigs[0].slice(4), 'base64')))
            good++;
        else console.error(`key ${i}: ${h['webhook-id']}: no valid v1a signature`);
    }
    console.log(`${i} ${good} ${recs.length}`);
});
