#!/usr/bin/env node
// Verify a real Unicharge webhook delivery the way the official Ping++ Node
// SDK tells tenants to: with the `verify_signature` function of the npm
// package's own example/webhooks_verify.js (crypto.createVerify('RSA-SHA256')
// over the raw body, base64 X-Pingplusplus-Signature, public key read from a
// PEM file). The package exports no webhook helper; that example is its
// documented code path, so it is run as shipped, from node_modules, in a vm
// context (it is a script, not a module, and runs its own sample when loaded).
//
//   node pingpp_sdk_verify.mjs --pingpp-dir DIR/node_modules/pingpp \
//       --delivery first.json --pubkey platform_public_key.pem
//
// --delivery is a JSON file {"headers": {...}, "body": "<raw body>"} as
// verify_webhook.py --save-first writes it. Checks:
//   1. the example, run as shipped, prints "verification succeeded" for the
//      package's own sample event, signature and Ping++ public key;
//   2. the same sample with one character changed fails (the harness can fail);
//   3. the real delivery verifies with Unicharge's published key;
//   4. the real delivery with one character changed fails;
//   5. the real delivery does not verify with Ping++'s own public key.
// Exits 0 when all pass and prints "pingpp-sdk: N passed, M failed".

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import vm from 'node:vm';

const { values: args } = parseArgs({
  options: {
    'pingpp-dir': { type: 'string' },
    delivery: { type: 'string' },
    pubkey: { type: 'string' },
  },
});
for (const k of ['pingpp-dir', 'delivery', 'pubkey']) {
  if (!args[k]) {
    console.error(`usage: node pingpp_sdk_verify.mjs --pingpp-dir DIR --delivery FILE --pubkey PEM (missing --${k})`);
    process.exit(2);
  }
}

const pkgDir = path.resolve(args['pingpp-dir']);
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
if (pkg.name !== 'pingpp') throw new Error(`${pkgDir} is not the pingpp package`);
const examplePath = path.join(pkgDir, 'example', 'webhooks_verify.js');
const exampleSrc = fs.readFileSync(examplePath, 'utf8');
console.log(`pingpp ${pkg.version} (VERSION file says ${fs.readFileSync(path.join(pkgDir, 'VERSION'), 'utf8').trim()}): ${examplePath}`);

// Run the example as shipped. Top-level `var`s of a script become properties
// of the context, which is how its verify_signature and sample are reached.
const printed = [];
const context = vm.createContext({
  require: createRequire(examplePath),
  __dirname: path.dirname(examplePath),
  __filename: examplePath,
  console: { log: (...a) => printed.push(a.join(' ')), error: (...a) => printed.push(a.join(' ')) },
});
vm.runInContext(exampleSrc, context, { filename: examplePath });
const verifySignature = context.verify_signature;
if (typeof verifySignature !== 'function') throw new Error('example/webhooks_verify.js no longer defines verify_signature');

const flip = (s) => {
  const i = s.indexOf('"amount":') + '"amount":'.length; // a digit, deep in the object
  return s.slice(0, i) + (s[i] === '1' ? '2' : '1') + s.slice(i + 1);
};

const delivery = JSON.parse(fs.readFileSync(args.delivery, 'utf8'));
const headers = Object.fromEntries(Object.entries(delivery.headers).map(([k, v]) => [k.toLowerCase(), v]));
const realSig = headers['x-pingplusplus-signature'];
const realBody = delivery.body;
const ourKey = path.resolve(args.pubkey);
const pingppKey = context.pub_key_path;

const results = [
  ['package example verifies its own sample (as shipped)', printed.join('\n') === 'verification succeeded', printed.join(' | ')],
  ['package sample with one digit changed fails', verifySignature(flip(context.raw_data), context.signature, pingppKey) === false, ''],
  ['real Unicharge delivery verifies with the published key', !!realSig && verifySignature(realBody, realSig, ourKey) === true, ''],
  ['real delivery with one digit changed fails', verifySignature(flip(realBody), realSig, ourKey) === false, ''],
  ["real delivery does not verify with Ping++'s own key", verifySignature(realBody, realSig, pingppKey) === false, ''],
];
let passed = 0;
for (const [name, ok, detail] of results) {
  if (ok) passed++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail && !ok ? ` (${detail})` : ''}`);
}
console.log(`pingpp-sdk: ${passed} passed, ${results.length - passed} failed`);
process.exit(passed === results.length ? 0 : 1);
