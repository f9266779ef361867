// Small building blocks shared by every page.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../api";
import { onLinkClick } from "../router";

export function Link(props: { href: string; class?: string; children: ComponentChildren; title?: string }) {
  return (
    <a href={"/dashboard" + props.href} class={props.class} title={props.title} onClick={(e) => onLinkClick(e, props.href)}>
      {props.children}
    </a>
  );
}

type Tone = "ok" | "warn" | "bad" | "info" | "test" | "";

export function Badge(props: { tone?: Tone; children: ComponentChildren; plain?: boolean }) {
  return <span class={`badge ${props.tone ?? ""} ${props.plain ? "plain" : ""}`}>{props.children}</span>;
}

const STATUS_TONE: Record<string, Tone> = {
  paid: "ok",
  succeeded: "ok",
  success: "ok",
  delivered: "ok",
  active: "ok",
  enabled: "ok",
  pending: "warn",
  unpaid: "warn",
  refunding: "warn",
  scheduled: "warn",
  retrying: "warn",
  failed: "bad",
  closed: "",
  reversed: "",
  revoked: "",
  disabled: "",
  dead: "bad",
  refunded: "info",
  partially_refunded: "info",
};

const STATUS_LABEL: Record<string, string> = {
  partially_refunded: "partly refunded",
};

export function Status(props: { status: string }) {
  const s = props.status ?? "";
  return <Badge tone={STATUS_TONE[s] ?? ""}>{STATUS_LABEL[s] ?? s.replace(/_/g, " ")}</Badge>;
}

export function ModeBadge(props: { livemode: boolean }) {
  return props.livemode ? <Badge tone="ok" plain>live</Badge> : <Badge tone="test" plain>test</Badge>;
}

export function Panel(props: { title?: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren; class?: string; id?: string }) {
  return (
    <section class={`panel ${props.class ?? ""}`} id={props.id}>
      {(props.title || props.actions) && (
        <div class="panel-head">
          {props.title && <h2>{props.title}</h2>}
          {props.actions && <div class="row">{props.actions}</div>}
        </div>
      )}
      {props.children}
    </section>
  );
}

export function PageHead(props: { title: ComponentChildren; sub?: ComponentChildren; crumbs?: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <div class="page-head">
      <div>
        {props.crumbs && <div class="crumbs">{props.crumbs}</div>}
        <h1>{props.title}</h1>
        {props.sub && <div class="sub">{props.sub}</div>}
      </div>
      {props.actions && <div class="row">{props.actions}</div>}
    </div>
  );
}

export function Empty(props: { title: string; children?: ComponentChildren; actions?: ComponentChildren; icon?: string }) {
  return (
    <div class="empty" data-testid="empty">
      <div class="icon">{props.icon ?? "∅"}</div>
      <div class="title">{props.title}</div>
      {props.children && <div>{props.children}</div>}
      {props.actions && <div class="actions">{props.actions}</div>}
    </div>
  );
}

export function Loading() {
  return (
    <div class="loading" aria-busy="true">
      <span class="spinner" /> Loading…
    </div>
  );
}

export function ErrorBox(props: { error: unknown }) {
  const e = props.error;
  const msg = e instanceof ApiError ? e.message : e instanceof Error ? e.message : String(e);
  return (
    <div class="error-box" role="alert">
      {msg}
    </div>
  );
}

/** Key/value grid for detail pages. Rows with `undefined` values are skipped. */
export function KV(props: { rows: [string, ComponentChildren][] }) {
  return (
    <div class="kv">
      {props.rows
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [<div key={k + "k"}>{k}</div>, <div key={k + "v"}>{v === null || v === "" ? <span class="muted">—</span> : v}</div>])}
    </div>
  );
}

export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren; footer: ComponentChildren }) {
  useEffect(() => {
    const k = (e: KeyboardEvent) => e.key === "Escape" && props.onClose();
    window.addEventListener("keydown", k);
    return () => window.removeEventListener("keydown", k);
  }, [props.onClose]);
  return (
    <div class="modal-back" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="modal" role="dialog" aria-modal="true" aria-label={props.title}>
        <div class="panel-head">
          <h2>{props.title}</h2>
        </div>
        <div class="panel-body">{props.children}</div>
        <div class="modal-foot">{props.footer}</div>
      </div>
    </div>
  );
}

let showToast: ((msg: string) => void) | null = null;

/** A short confirmation at the bottom right ("Refund created"). */
export function toast(msg: string): void {
  showToast?.(msg);
}

export function ToastHost() {
  const [msg, setMsg] = useState<string | null>(null);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => {
    showToast = (m) => {
      setMsg(m);
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(() => setMsg(null), 3500);
    };
    return () => {
      showToast = null;
    };
  }, []);
  return msg ? (
    <div class="toast" role="status">
      {msg}
    </div>
  ) : null;
}

export function CopyButton(props: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      class="btn small"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(props.text);
          setDone(true);
          window.setTimeout(() => setDone(false), 1500);
        } catch {
          toast("Copying is not allowed here; select the text instead.");
        }
      }}
    >
      {done ? "Copied" : props.label ?? "Copy"}
    </button>
  );
}

export type AsyncState<T> = { data: T | null; error: unknown; loading: boolean; reload: () => void };

/** Runs `load` whenever `deps` change; keeps the last data while reloading. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => {
      live = false;
    };
    // `load` is a fresh closure each render; `deps` say when it changed.
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function Json(props: { value: unknown }) {
  return <pre class="json">{typeof props.value === "string" ? props.value : JSON.stringify(props.value, null, 2)}</pre>;
}

/**
 * What a detail page shows until its object is there: "no such …" on a 404
 * (another tenant's id looks exactly like a missing one), the error, or the
 * spinner. `null` once the data can be shown.
 */
export function unready<T>(st: AsyncState<T>, what: string, back: [string, string], id: string, hint?: string) {
  if (st.error instanceof ApiError && st.error.status === 404) {
    return (
      <Empty title={`No such ${what}`} icon="?" actions={<Link class="btn" href={back[0]}>Back to {back[1]}</Link>}>
        <span data-testid="not-found">
          There is no {what} <code>{id}</code> that you can see.{hint ? ` ${hint}` : ""}
        </span>
      </Empty>
    );
  }
  if (!st.data) return st.error !== null ? <ErrorBox error={st.error} /> : <Loading />;
  return null;
}
