// Display helpers. Money stays integer fen until the moment it is shown.

const SYMBOLS: Record<string, string> = { cny: "¥", usd: "$", hkd: "HK$", eur: "€" };

/** 12345 fen -> "¥123.45". Integer arithmetic only: no float rounding. */
export function money(fen: number | null | undefined, currency = "cny"): string {
  if (fen === null || fen === undefined || !Number.isFinite(fen)) return "—";
  const neg = fen < 0;
  const abs = Math.abs(Math.trunc(fen));
  const yuan = Math.floor(abs / 100);
  const cents = String(abs % 100).padStart(2, "0");
  const grouped = String(yuan).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const sym = SYMBOLS[currency.toLowerCase()] ?? currency.toUpperCase() + " ";
  return `${neg ? "−" : ""}${sym}${grouped}.${cents}`;
}

/** Short form for chart axes: ¥1.2k, ¥3.4M. */
export function moneyShort(fen: number, currency = "cny"): string {
  const sym = SYMBOLS[currency.toLowerCase()] ?? "";
  const yuan = fen / 100;
  if (Math.abs(yuan) >= 1e6) return `${sym}${(yuan / 1e6).toFixed(1)}M`;
  if (Math.abs(yuan) >= 1e3) return `${sym}${(yuan / 1e3).toFixed(1)}k`;
  return `${sym}${yuan.toFixed(yuan % 1 === 0 ? 0 : 2)}`;
}

export function count(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

export function percent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return "—";
  return `${(ratio * 100).toFixed(ratio >= 0.9995 || ratio === 0 ? 0 : 1)}%`;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Unix seconds -> "2026-12-05 14:03:09" in the browser's time zone. */
export function dateTime(secs: number | null | undefined): string {
  if (!secs) return "—";
  const d = new Date(secs * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function dateShort(secs: number | null | undefined): string {
  if (!secs) return "—";
  const d = new Date(secs * 1000);
  const now = new Date();
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (d.toDateString() === now.toDateString()) return `Today ${time}`;
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  return `${months[d.getMonth()]} ${d.getDate()}, ${time}`;
}

/** "in 5 min", "3 h ago" */
export function relative(secs: number | null | undefined): string {
  if (!secs) return "—";
  const diff = secs - Math.floor(Date.now() / 1000);
  const a = Math.abs(diff);
  const v = a < 60 ? `${a} s` : a < 3600 ? `${Math.round(a / 60)} min` : a < 86400 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86400)} d`;
  return diff >= 0 ? `in ${v}` : `${v} ago`;
}

/** "2026-12-05" (local) -> unix seconds at local midnight; end=true gives the next midnight. */
export function dayToUnix(day: string, end = false): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (end ? 1 : 0));
  return Math.floor(d.getTime() / 1000);
}

/** Yuan typed by a person ("12.5") -> fen (1250), or null if malformed. */
export function parseYuan(s: string): number | null {
  const m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(s);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
}

export const CHANNEL_NAMES: Record<string, string> = {
  sandbox: "Sandbox",
  alipay: "Alipay App",
  alipay_wap: "Alipay WAP",
  alipay_pc_direct: "Alipay PC",
  alipay_qr: "Alipay QR",
  alipay_scan: "Alipay Scan",
  alipay_lite: "Alipay Mini",
  wx: "WeChat App",
  wx_pub: "WeChat JSAPI",
  wx_lite: "WeChat Mini",
  wx_pub_qr: "WeChat Native",
  wx_wap: "WeChat H5",
  wx_pub_scan: "WeChat Scan",
  upacp: "UnionPay App",
  upacp_wap: "UnionPay WAP",
  upacp_pc: "UnionPay PC",
  apple_iap: "Apple IAP",
};

export function channelName(code: string): string {
  return CHANNEL_NAMES[code] ?? code;
}
