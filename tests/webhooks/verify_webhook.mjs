#!/usr/bin/env node
// Verify Unicharge webhooks, as a tenant would (Node >= 18, no dependencies).
//
// As a library: verifyUnichargeSignature checks the Unicharge-Signature
// header (HMAC-SHA256 with the endpoint's whsec_ secret) and
// verifyPingppSignature the Ping++-compatible X-Pingplusplus-Signature header
// (RSA-SHA256 with the platform public key). See docs/webhooks.md.
//
// As a program: a tiny receiver for tests/webhooks/run_webhook_checks.sh.
//
//   node verify_webhook.mjs --port P --secret whsec_... --pubkey key.pem \
//       --expect N --out results.json [--save-first first.json] [--timeout 30]
//
// It listens on 127.0.0.1:P, answers each POST 200 when both signatures
// verify and 400 otherwise, runs negative self-checks on the first delivery,
// writes what it saw to --out, and exits 0 once N distinct events have
// verified; 1 on any failure, or when --timeout seconds pass first.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// --- begin verify helper ---
export const TOLERANCE = 300; // seconds between the signature's t= and now

// Throws unless `header` signs `rawBody` (a Buffer: the bytes as received).
export function verifyUnichargeSignature(header, secret, rawBody, tolerance = TOLERANCE, now = Date.now() / 1000) {
  let t = null;
  const sigs = [];
  for (const part of String(header || '').split(',')) {
    const [key, value = ''] = part.trim().split(/=(.*)/s);
    if (key === 't' && /^\d+$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) sigs.push(Buffer.from(value, 'hex'));
  }
  if (t === null) throw new Error('malformed header');
  if (Math.abs(now - t) > tolerance) throw new Error('timestamp outside the tolerance window');
  const expected = crypto.createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  if (!sigs.some((sig) => crypto.timingSafeEqual(sig, expected))) throw new Error('no signature matches');
}

// True if X-Pingplusplus-Signature is RSA-SHA256 (PKCS#1 v1.5) over rawBody.
export function verifyPingppSignature(rawBody, signatureB64, publicKeyPem) {
  try {
    return crypto.createVerify('RSA-SHA256').update(rawBody).verify(publicKeyPem, String(signatureB64), 'base64');
  } catch {
    return false;
  }
}
// --- end verify helper ---

// The sender's side, for the self-checks only.
function sign(secret, t, body) {
  return `t=${t},v1=` + crypto.createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

function selfChecks(body, sigHeader, pingppSig, secret, pem) {
  const now = Math.floor(Date.now() / 1000);
  const t = Number(/(?:^|,)\s*t=(\d+)/.exec(sigHeader)[1]);
  const flipped = Buffer.from(body);
  flipped[flipped.length >> 1] ^= 0x01;
  const rawSig = Buffer.from(pingppSig, 'base64');
  rawSig[0] ^= 0x80;
  const badRsa = rawSig.toString('base64');
  const moved = sigHeader.replace(`t=${t}`, `t=${t + 1}`);
  const hmacOk = (header, sec, data, at) => {
    try {
      verifyUnichargeSignature(header, sec, data, TOLERANCE, at);
      return true;
    } catch {
      return false;
    }
  };
  const reserialized = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8')), null, 1));
  const checks = [
    ['real delivery verifies (HMAC)', hmacOk(sigHeader, secret, body), true],
    ['real delivery verifies (RSA)', verifyPingppSignature(body, pingppSig, pem), true],
    ['flipped body byte fails HMAC', hmacOk(sigHeader, secret, flipped), false],
    ['flipped body byte fails RSA', verifyPingppSignature(flipped, pingppSig, pem), false],
    ['wrong secret fails', hmacOk(sigHeader, secret + 'x', body), false],
    ['empty secret fails', hmacOk(sigHeader, '', body), false],
    ['timestamp moved by 1 s fails', hmacOk(moved, secret, body), false],
    ['header without t= fails', hmacOk(sigHeader.split(',').slice(1).join(','), secret, body), false],
    ['header without v1= fails', hmacOk(`t=${t}`, secret, body), false],
    ['correctly signed but 301 s old fails', hmacOk(sign(secret, now - 301, body), secret, body), false],
    ['correctly signed 299 s old verifies', hmacOk(sign(secret, now - 299, body), secret, body), true],
    ['correctly signed 301 s in the future fails', hmacOk(sign(secret, now + 301, body), secret, body), false],
    ['real header checked 301 s later fails', hmacOk(sigHeader, secret, body, t + 301), false],
    ['tampered RSA signature fails', verifyPingppSignature(body, badRsa, pem), false],
    ['non-base64 RSA signature fails', verifyPingppSignature(body, 'not base64!', pem), false],
    ['body re-serialized by JSON.stringify fails RSA', verifyPingppSignature(reserialized, pingppSig, pem), false],
  ];
  return checks.map(([check, got, want]) => ({ check, got, want, ok: got === want }));
}

function main() {
  const { values: args } = parseArgs({
    options: {
      port: { type: 'string' },
      secret: { type: 'string' },
      pubkey: { type: 'string' },
      expect: { type: 'string' },
      out: { type: 'string' },
      'save-first': { type: 'string' },
      timeout: { type: 'string', default: '30' },
    },
  });
  for (const k of ['port', 'secret', 'pubkey', 'expect', 'out']) {
    if (!args[k]) {
      console.error(`usage: node verify_webhook.mjs --port P --secret whsec_... --pubkey key.pem --expect N --out results.json (missing --${k})`);
      process.exit(2);
    }
  }
  const expect = Number(args.expect);
  const pem = fs.readFileSync(args.pubkey, 'utf8');
  const state = { deliveries: [], self_checks: [], verified_events: [], failed: false };
  const log = (msg) => process.stderr.write(`[node-receiver] ${msg}\n`);

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const sig = req.headers['unicharge-signature'] || '';
      const rsaSig = req.headers['x-pingplusplus-signature'] || '';
      const eventId = req.headers['unicharge-event-id'] || '';
      const rec = { path: req.url, event_id: eventId, attempt: req.headers['unicharge-delivery-attempt'] };
      try {
        verifyUnichargeSignature(sig, args.secret, body);
        rec.hmac = 'ok';
      } catch (e) {
        rec.hmac = e.message;
      }
      rec.rsa = verifyPingppSignature(body, rsaSig, pem) ? 'ok' : 'failed';
      try {
        const event = JSON.parse(body.toString('utf8'));
        rec.type = event.type;
        rec.id_matches_header = event.id === eventId;
      } catch {
        rec.id_matches_header = false;
      }
      const ok = req.method === 'POST' && rec.hmac === 'ok' && rec.rsa === 'ok' && rec.id_matches_header;
      rec.verified = ok;
      if (ok && state.self_checks.length === 0) {
        state.self_checks = selfChecks(body, sig, rsaSig, args.secret, pem);
        if (args['save-first']) {
          fs.writeFileSync(args['save-first'], JSON.stringify({ headers: req.headers, body: body.toString('utf8') }));
        }
      }
      state.deliveries.push(rec);
      if (!ok || !state.self_checks.every((c) => c.ok)) state.failed = true;
      else if (!state.verified_events.includes(eventId)) state.verified_events.push(eventId);
      log(`${req.method} ${req.url} ${eventId} attempt ${rec.attempt}: hmac ${rec.hmac}, rsa ${rec.rsa} -> ${ok ? 200 : 400}`);
      res.writeHead(ok ? 200 : 400, { 'Content-Type': 'text/plain' });
      res.end(ok ? 'OK' : 'signature verification failed', () => {
        if (state.failed || state.verified_events.length >= expect) finish(false);
      });
    });
  });

  let finished = false;
  const timer = setTimeout(() => finish(true), Number(args.timeout) * 1000);
  function finish(timedOut) {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    state.timed_out = timedOut;
    state.passed = !timedOut && !state.failed && state.verified_events.length >= expect;
    fs.writeFileSync(args.out, JSON.stringify(state, null, 2));
    for (const c of state.self_checks) if (!c.ok) log(`self-check FAILED: ${c.check} (got ${c.got})`);
    log(`${state.verified_events.length}/${expect} events verified, ${state.deliveries.length} deliveries, ` +
      `${state.self_checks.length} self-checks${timedOut ? ', TIMED OUT' : ''}`);
    server.close();
    server.closeAllConnections?.();
    process.exitCode = state.passed ? 0 : 1;
  }

  server.listen(Number(args.port), '127.0.0.1');
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) main();
