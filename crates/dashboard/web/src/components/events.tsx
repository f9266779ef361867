// Events with their webhook deliveries and each delivery's attempts, as
// shown on the charge, refund and event pages.
import { useState } from "preact/hooks";
import { api } from "../api";
import { dateTime, relative } from "../format";
import type { Delivery, Event } from "../types";
import { Badge, Empty, Link, Status, toast } from "./ui";

function codeTone(code: number | null): "ok" | "bad" | "warn" {
  if (code === null) return "bad";
  if (code >= 200 && code < 300) return "ok";
  return code >= 500 ? "bad" : "warn";
}

export function ResendButton(props: { event: Event; endpoint?: string; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      class="btn small"
      disabled={busy}
      data-testid="resend"
      onClick={async () => {
        setBusy(true);
        try {
          const r = await api.post<{ redelivered: number }>(`/events/${props.event.id}/resend`, props.endpoint ? { endpoint: props.endpoint } : {});
          toast(r.redelivered ? `Queued again for ${r.redelivered} endpoint${r.redelivered === 1 ? "" : "s"}` : "No enabled endpoint subscribes to this event");
          props.onDone();
        } catch (e) {
          toast(e instanceof Error ? e.message : String(e));
        } finally {
          setBusy(false);
        }
      }}
    >
      {busy ? "Resending…" : "Resend"}
    </button>
  );
}

export function DeliveryRow(props: { event: Event; d: Delivery; onChanged: () => void }) {
  const d = props.d;
  const attempts = d.attempts_list ?? [];
  return (
    <div class="panel" data-testid="delivery" data-status={d.status}>
      <div class="panel-head">
        <div>
          <div class="row">
            <Status status={d.status} />
            {d.last_status_code !== null ? (
              <Badge tone={codeTone(d.last_status_code)} plain>
                HTTP {d.last_status_code}
              </Badge>
            ) : d.last_error ? (
              <Badge tone="bad" plain>
                {d.last_error}
              </Badge>
            ) : null}
            {d.last_latency_ms !== null && <span class="muted">{d.last_latency_ms} ms</span>}
          </div>
          <div class="mono muted">{d.endpoint_url}</div>
        </div>
        <div class="row">
          <span class="muted">
            {d.attempts} attempt{d.attempts === 1 ? "" : "s"}
            {d.next_attempt_at ? ` · next retry ${relative(d.next_attempt_at)}` : d.delivered_at ? ` · delivered ${dateTime(d.delivered_at)}` : ""}
          </span>
          <ResendButton event={props.event} endpoint={d.endpoint} onDone={props.onChanged} />
        </div>
      </div>
      {attempts.length > 0 ? (
        <div class="panel-body">
          <ol class="attempts">
            {attempts.map((a) => (
              <li key={a.attempt} data-testid="attempt">
                <span>
                  <Badge tone={codeTone(a.status_code)} plain>
                    {a.status_code !== null ? a.status_code : "no answer"}
                  </Badge>
                </span>
                <span>
                  #{a.attempt} · {dateTime(a.at)}
                  {a.latency_ms !== null && <> · {a.latency_ms} ms</>}
                  {a.node && <span class="muted"> · {a.node}</span>}
                  {/* "HTTP 503" would repeat the badge; show only a real transport error. */}
                  {a.error && a.error !== `HTTP ${a.status_code}` && <div class="error-box">{a.error}</div>}
                  {a.response && <pre class="excerpt">{a.response}</pre>}
                </span>
              </li>
            ))}
          </ol>
        </div>
      ) : (
        d.last_response && (
          <div class="panel-body">
            <pre class="excerpt">{d.last_response}</pre>
          </div>
        )
      )}
    </div>
  );
}

export function EventBlock(props: { event: Event; onChanged: () => void }) {
  const e = props.event;
  const ds = e.webhook_deliveries ?? [];
  return (
    <div class="stack" data-testid="event" data-type={e.type}>
      <div class="row">
        <Link href={`/events/${e.id}`}>
          <strong>{e.type}</strong>
        </Link>
        <span class="mono muted">{e.id}</span>
        <span class="muted">{dateTime(e.created)}</span>
        <span class="grow" />
        {ds.length > 0 && <ResendButton event={e} onDone={props.onChanged} />}
      </div>
      {ds.length === 0 ? (
        <div class="muted">
          No webhook deliveries: no enabled endpoint of this app subscribes to <code>{e.type}</code>.{" "}
          <Link href={`/apps/${e.app ?? ""}/webhooks`}>Add an endpoint</Link> to receive it.
        </div>
      ) : (
        ds.map((d) => <DeliveryRow key={d.id} event={e} d={d} onChanged={props.onChanged} />)
      )}
    </div>
  );
}

export function EventList(props: { events: Event[]; onChanged: () => void; emptyText: string }) {
  if (props.events.length === 0) return <Empty title="No events yet" icon="⚡">{props.emptyText}</Empty>;
  return (
    <div class="panel-body stack">
      {props.events.map((e) => (
        <EventBlock key={e.id} event={e} onChanged={props.onChanged} />
      ))}
    </div>
  );
}
