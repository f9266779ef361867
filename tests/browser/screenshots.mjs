// Regenerates docs/screenshots/*.png (tests/browser/run.sh --screenshots):
// seeds a day of varied test payments for tenant A, then visits each main
// page at laptop size and two at phone size.
import http from "node:http";
import { join } from "node:path";
import { BASE, adminApi, createCharge, waitFor } from "./lib.mjs";

const LAPTOP = { width: 1366, height: 860 };
const PHONE = { width: 390, height: 844 };

const ITEMS = [
  ["Oolong tea", "Tie Guan Yin, 250 g", 8800],
  ["Green tea", "Long Jing, 100 g", 12800],
  ["Tea set", "Yixing clay pot and 4 cups", 35900],
  ["Jasmine pearls", "50 g tin", 4500],
  ["Pu-erh cake", "2019 ripe, 357 g", 26800],
  ["Gift card", "¥200 gift card", 20000],
  ["White tea", "Bai Mu Dan, 100 g", 9900],
  ["Matcha", "Ceremonial grade, 30 g", 6800],
];

async function settle(page) {
  await page.waitForLoadState("networkidle");
  await page.locator(".loading").first().waitFor({ state: "detached", timeout: 10000 }).catch(() => {});
}

/** Pays an alipay_qr charge as a buyer would in the Alipay sandbox. */
async function payAlipayQr(ch) {
  const qr = ch.credential?.alipay_qr;
  if (!qr) return;
  const scan = await fetch(qr, { headers: { Accept: "application/json" } }).then((r) => r.json());
  if (!scan.trade_no) return;
  await fetch(`${BASE}/sandbox/alipay/cashier/${scan.trade_no}/pay`, { method: "POST", headers: { Accept: "application/json" } });
}

/** A second endpoint that answers 503, so the pages show retries too. */
async function failingEndpoint(ctx, A) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(503, { "Content-Type": "application/json" });
      res.end('{"error":"order service is restarting, try again"}');
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/unicharge/webhooks`;
  const made = await adminApi(ctx, "POST", `/apps/${A.app}/webhook_endpoints?mode=test`, {
    url,
    enabled_events: ["charge.succeeded", "charge.failed"],
    description: "Order service (staging)",
  });
  if (made.status !== 200) throw new Error(`failing endpoint: ${JSON.stringify(made.json)}`);
  return server;
}

async function seed(ctx, A) {
  const stamp = Date.now();
  let n = 0;
  const next = () => `SO${stamp}${String(n++).padStart(3, "0")}`;
  for (const [i, [subject, body, amount]] of ITEMS.entries()) {
    const ch = await createCharge(A.testKey, A.app, { order_no: next(), amount, subject, body });
    // Most are paid, one fails, two wait on the sandbox page.
    if (i === 3) await adminApi(ctx, "POST", `/charges/${ch.id}/sandbox`, { result: "failed" });
    else if (i < 6) await adminApi(ctx, "POST", `/charges/${ch.id}/sandbox`, { result: "paid" });
  }
  for (const [subject, body, amount] of ITEMS.slice(0, 4)) {
    try {
      const ch = await createCharge(A.testKey, A.app, { order_no: next(), amount: amount + 300, subject, body, channel: "alipay_qr" });
      await payAlipayQr(ch);
    } catch (e) {
      console.log(`# screenshots: alipay_qr seed skipped: ${e.message}`);
    }
  }
  for (const [subject, body, amount] of ITEMS.slice(4, 6)) {
    try {
      await createCharge(A.testKey, A.app, {
        order_no: next(),
        amount,
        subject,
        body,
        channel: "wx_pub_qr",
        extra: { product_id: "tea-001" },
      });
    } catch (e) {
      console.log(`# screenshots: wx_pub_qr seed skipped: ${e.message}`);
    }
  }
}

export async function takeScreenshots({ browser, ctx, dir, tenantA, chargeId, watch }) {
  const failing = await failingEndpoint(ctx, tenantA);
  try {
    await seed(ctx, tenantA);
    // Let the dispatcher make its first attempts, so retries are on show.
    // (The endpoint's circuit opens after 5 failures in a row, so later
    // deliveries wait; any event with a 503 will do.)
    const retried = await waitFor(
      "a failed first attempt",
      async () => {
        const ev = await adminApi(ctx, "GET", "/events?mode=test&limit=30");
        return ev.json?.data?.find((e) => e.webhook_deliveries?.some((d) => d.last_status_code === 503))?.id;
      },
      30000,
    );
    await shoot({ browser, ctx, dir, tenantA, chargeId, watch, eventId: retried });
  } finally {
    failing.closeAllConnections();
    failing.close();
  }
}

async function shoot({ browser, ctx, dir, tenantA, chargeId, watch, eventId }) {
  const shot = async (page, name, fullPage = false) => {
    await settle(page);
    await page.screenshot({ path: join(dir, `${name}.png`), fullPage });
  };

  // Signed out, in a fresh context.
  const anon = await browser.newContext({ viewport: LAPTOP });
  const lp = await anon.newPage();
  watch(lp);
  await lp.goto(`${BASE}/dashboard/`);
  await lp.getByRole("button", { name: "Sign in" }).waitFor();
  await shot(lp, "login");
  await anon.close();

  const page = await ctx.newPage();
  watch(page);
  await page.setViewportSize(LAPTOP);
  const visit = async (path, name, fullPage = false) => {
    await page.goto(`${BASE}/dashboard${path}`);
    await shot(page, name, fullPage);
  };
  await visit("/", "overview");
  await visit("/charges", "charges");
  await visit(`/charges/${chargeId}`, "charge-detail", true);
  await visit("/refunds", "refunds");
  await visit("/events", "events");
  await visit(`/events/${eventId}`, "event-deliveries", true);
  await visit(`/apps`, "apps");
  await visit(`/apps/${tenantA.app}/webhooks`, "app-webhooks");
  await visit(`/apps/${tenantA.app}/channels`, "app-channels", true);
  await visit(`/keys?tenant=${tenantA.tenant}`, "api-keys");
  await visit("/sandbox", "sandbox");

  await page.setViewportSize(PHONE);
  await visit("/", "phone-overview", true);
  await visit(`/charges/${chargeId}`, "phone-charge-detail");
  await page.close();
}
