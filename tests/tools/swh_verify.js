// swh_verify.js: checks every request a receiver.py log holds with the
// official Standard Webhooks library (npm "standardwebhooks"), once per
// secret given: prints "<secret index> <verified> <total>" per secret.
// Usage: NODE_PATH=<node_modules> node swh_verify.js LOG SECRET...
'use strict';
const fs = require('fs');
const { Webhook } = require('standardwebhooks');

const [log, ...secrets] = process.argv.slice(2);
const recs = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
secrets.forEach((secret, i) => {
    const wh = new Webhook(secret.replace(/^whsec_/, ''));
    let good = 0;
    for (const r of recs) {
        try {
            wh.verify(r.body, r.headers);
            good++;
        } catch (e) {
            console.error(`secret ${i}: ${r.headers['webhook-id']}: ${e.message}`);
        }
    }
    console.log(`${i} ${good} ${recs.length}`);
});
