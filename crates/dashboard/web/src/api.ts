// The admin API client. The session is an HttpOnly cookie the page never
// sees; state-changing requests carry the CSRF token the server handed out
// at login (and again from the session endpoint after a reload).

export const API = "/admin/api";

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(t: string | null): void {
  csrfToken = t;
}

/** Called on any 401 outside login, so an expired session returns to sign-in. */
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function query(params: Query): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? "?" + s : "";
}

async function request<T>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", ...extra };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let resp: Response;
  try {
    resp = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "network", "The server could not be reached. Check your connection and try again.");
  }
  const text = await resp.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!resp.ok) {
    const err = (data as { error?: { code?: string; message?: string; type?: string } } | null)?.error;
    const code = err?.code ?? err?.type ?? `http_${resp.status}`;
    const message = err?.message ?? `The server answered ${resp.status}.`;
    if (resp.status === 401 && !path.startsWith("/session") && !path.startsWith("/login") && onUnauthorized) {
      onUnauthorized();
    }
    throw new ApiError(resp.status, code, message);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, params: Query = {}) => request<T>("GET", path + query(params), undefined),
  post: <T>(path: string, body: unknown = {}, headers: Record<string, string> = {}) => request<T>("POST", path, body, headers),
  put: <T>(path: string, body: unknown = {}) => request<T>("PUT", path, body),
  patch: <T>(path: string, body: unknown = {}) => request<T>("PATCH", path, body),
  del: <T>(path: string) => request<T>("DELETE", path, undefined),
};

/** A URL for a plain download (CSV export): GET, so no CSRF token needed. */
export function downloadUrl(path: string, params: Query): string {
  return API + path + query(params);
}

/** A random key for `Idempotency-Key`, so a double click or a retried
 * request cannot refund twice. getRandomValues works on plain-http origins,
 * where crypto.randomUUID does not. */
export function idempotencyKey(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return "dash_" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
