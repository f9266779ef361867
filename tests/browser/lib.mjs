// Helpers for the dashboard browser tests: the tenant /v1 API, the admin
// API with a signed-in browser context's cookies, and a webhook receiver.
import { readFileSync } from "node:fs";
import http from "node:http";

export const BASE = process.env.UC_BASE ?? "";
if (!BASE) throw new Error("UC_BASE is not set: run tests/browser/run.sh");

/** `unicharge app create --json` output: the last JSON line of the file. */
export function readTenant(path) {
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l.trim().startsWith("{"));
  const d = JSON.parse(lines[lines.length - 1]);
  return { tenant: d.tenant, app: d.app, testKey: d.secret_keys.test };
}

/** POST /v1/charges with a tenant's test key, as a merchant's server would. */
export async function createCharge(key, app, fields) {
  const body = {
    app: { id: app },
    channel: "sandbox",
    currency: "cny",
    client_ip: "127.0.0.1",
    subject: "Oolong tea",
    body: "Tie Guan Yin, 250 g",
    ...fields,
  };
  const r = await fetch(`${BASE}/v1/charges`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const j = await r.json();
  if (r.status !== 200) throw new Error(`POST /v1/charges ${r.status}: ${JSON.stringify(j)}`);
  return j;
}

export async function getCharge(key, id) {
  const r = await fetch(`${BASE}/v1/charges/${id}`, { headers: { Authorization: `Bearer ${key}` } });
  return r.json();
}

/** The admin API with a browser context's session cookie and CSRF token. */
export async function adminApi(context, method, path, body) {
  const cookies = await context.cookies(BASE);
  const csrf = cookies.find((c) => c.name === "uc_csrf")?.value ?? "";
  const r = await context.request.fetch(`${BASE}/admin/api${path}`, {
    method,
    headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json", Origin: BASE },
    data: body === undefined ? undefined : JSON.stringify(body),
  });
  let json = null;
  try {
    json = await r.json();
  } catch {
    json = null;
  }
  return { status: r.status(), json };
}

/** A webhook receiver on loopback that answers 200 and records each POST. */
export async function startReceiver() {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let event = null;
      try {
        event = JSON.parse(raw);
      } catch {
        event = null;
      }
      received.push({ headers: req.headers, raw, event, at: Date.now() });
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end(`ok ${event?.id ?? ""}`);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    count: (eventId) => received.filter((r) => r.event?.id === eventId).length,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

export async function waitFor(what, f, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await f();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
