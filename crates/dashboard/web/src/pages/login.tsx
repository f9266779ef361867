import { useState } from "preact/hooks";
import { api, ApiError } from "../api";
import type { Session } from "../session";

export function Login(props: { onSignedIn: (s: Session) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await api.post<Session>("/session", { email: email.trim(), password });
      props.onSignedIn(s);
    } catch (err) {
      if (err instanceof ApiError && err.code === "too_many_attempts") {
        setError("Too many failed sign-ins. Wait a few minutes and try again.");
      } else if (err instanceof ApiError && err.status === 401) {
        setError("That email and password do not match an account.");
      } else {
        setError(err instanceof Error ? err.message : String(err));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="login-wrap">
      <form class="panel login" onSubmit={submit} aria-label="Sign in">
        <div class="panel-body">
          <div class="brand">
            <span class="logo">U</span> Unicharge
          </div>
          <div>
            <h1>Sign in to your dashboard</h1>
            <p class="muted">Charges, refunds, webhooks and channel settings for your apps.</p>
          </div>
          {error && (
            <div class="error-box" role="alert">
              {error}
            </div>
          )}
          <label class="field">
            Email
            <input
              type="email"
              name="email"
              autocomplete="username"
              required
              value={email}
              onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
            />
          </label>
          <label class="field">
            Password
            <input
              type="password"
              name="password"
              autocomplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
            />
          </label>
          <button class="btn primary" type="submit" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
          <p class="muted">
            First time? <code>unicharge serve</code> prints the first admin's email and password at its first start;{" "}
            <code>unicharge user create</code> adds more.
          </p>
        </div>
      </form>
    </div>
  );
}
