import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { EventList } from "../components/events";
import { RefundDialog } from "../components/refund-dialog";
import { Badge, CopyButton, Empty, Json, KV, Link, ModeBadge, PageHead, Panel, Status, toast, unready, useAsync } from "../components/ui";
import { channelName, dateTime, money } from "../format";
import type { Charge, ChargeDetail, ChannelNotification } from "../types";
import { RefundTable } from "./refunds";

export function ChargeDetailPage(props: { id: string }) {
  const st = useAsync(() => api.get<ChargeDetail>(`/charges/${encodeURIComponent(props.id)}`), [props.id]);
  const [refunding, setRefunding] = useState(false);
  const d = st.data;

  // Deliveries go out in the background: refresh while any is still pending
  // so the page shows the receiver's answer without a manual reload.
  const pending = d?.events.some((e) => (e.webhook_deliveries ?? []).some((x) => x.status === "pending")) ?? false;
  useEffect(() => {
    if (!pending) return;
    const t = window.setTimeout(st.reload, 2000);
    return () => window.clearTimeout(t);
  }, [pending, st.data]);

  const gate = unready(st, "charge", ["/charges", "charges"], props.id, "Check the id, or switch between test and live.");
  if (gate || !d) return gate;
  const c = d.charge;

  return (
    <div class="stack">
      <PageHead
        crumbs={<Link href="/charges">Charges</Link>}
        title={
          <span class="row">
            <span data-testid="charge-amount">{money(c.amount, c.currency)}</span>
            <span data-testid="charge-status">
              <Status status={c.status} />
            </span>
            <ModeBadge livemode={c.livemode} />
          </span>
        }
        sub={
          <>
            {c.subject} · order <strong>{c.order_no}</strong> · <span class="mono">{c.id}</span> <CopyButton text={c.id} label="Copy id" />
          </>
        }
        actions={
          <>
            <SandboxActions charge={c} onDone={st.reload} />
            {(c.amount_refundable ?? 0) > 0 && (
              <button type="button" class="btn" onClick={() => setRefunding(true)} data-testid="refund-open">
                Refund
              </button>
            )}
          </>
        }
      />
      {refunding && (
        <RefundDialog
          charge={c}
          onClose={() => setRefunding(false)}
          onDone={() => {
            setRefunding(false);
            st.reload();
          }}
        />
      )}
      <div class="grid two">
        <Panel title="Details">
          <div class="panel-body">
            <KV rows={chargeRows(c)} />
          </div>
        </Panel>
        <div class="stack">
          <Panel title="Credential">
            <div class="panel-body">
              {Object.keys(c.credential ?? {}).length === 0 ? (
                <span class="muted">{c.paid ? "Cleared once the charge was paid." : "None."}</span>
              ) : (
                <Json value={c.credential} />
              )}
            </div>
          </Panel>
          <Panel title="Metadata and extra">
            <div class="panel-body stack">
              <Json value={{ metadata: c.metadata, extra: c.extra }} />
            </div>
          </Panel>
        </div>
      </div>
      <Panel title={`Refunds (${d.refunds.length})`} id="refunds">
        {d.refunds.length === 0 ? (
          <Empty title="No refunds" icon="↩">
            {(c.amount_refundable ?? 0) > 0 ? "Use Refund above to return some or all of this payment." : "Only a paid charge can be refunded."}
          </Empty>
        ) : (
          <RefundTable refunds={d.refunds} />
        )}
      </Panel>
      <Panel title="Events and webhook deliveries" id="events">
        <EventList events={d.events} onChanged={st.reload} emptyText="Events are written when the charge is paid, fails, closes or is refunded." />
      </Panel>
      <Panel title="Channel notifications" id="notifications">
        {d.notifications.length === 0 ? (
          <Empty title="No notifications received" icon="✉">
            The channel has not notified this charge yet. The sweeper also asks the channel about unpaid charges.
          </Empty>
        ) : (
          <div class="panel-body stack">
            {d.notifications.map((n) => (
              <Notification key={n.id} n={n} />
            ))}
          </div>
        )}
      </Panel>
      <details class="panel">
        <summary class="panel-head">
          <h2>Raw charge object</h2>
        </summary>
        <div class="panel-body">
          <Json value={c} />
        </div>
      </details>
    </div>
  );
}

function chargeRows(c: Charge): [string, ComponentChildren][] {
  return [
    ["Amount", money(c.amount, c.currency)],
    ["Refunded", money(c.amount_refunded, c.currency)],
    ["Refunding", c.amount_refunding ? money(c.amount_refunding, c.currency) : undefined],
    ["Refundable", c.amount_refundable !== undefined ? money(c.amount_refundable, c.currency) : undefined],
    ["Settled amount", money(c.amount_settle, c.currency)],
    ["Currency", c.currency.toUpperCase()],
    ["Channel", `${channelName(c.channel)} (${c.channel})`],
    ["App", c.app_name ? <>{c.app_name} <span class="mono muted">{c.app}</span></> : <span class="mono">{c.app}</span>],
    ["Tenant", c.tenant ? <span class="mono">{c.tenant}</span> : undefined],
    ["Order number", <span class="mono">{c.order_no}</span>],
    ["Subject", c.subject],
    ["Body", c.body],
    ["Description", c.description],
    ["Client IP", c.client_ip],
    ["Paid", c.paid ? "yes" : "no"],
    ["Refunded flag", c.refunded ? "yes" : "no"],
    ["Reversed", c.reversed ? "yes" : "no"],
    ["Created", dateTime(c.created)],
    ["Paid at", dateTime(c.time_paid)],
    ["Expires", dateTime(c.time_expire)],
    ["Settled at", dateTime(c.time_settle)],
    ["Transaction no.", c.transaction_no ? <span class="mono">{c.transaction_no}</span> : null],
    ["Failure", c.failure_code ? `${c.failure_code}: ${c.failure_msg ?? ""}` : null],
    ["Mode", c.livemode ? "live" : "test"],
  ];
}

function Notification(props: { n: ChannelNotification }) {
  const n = props.n;
  const tone = n.outcome === "accepted" ? "ok" : n.outcome === "rejected" ? "bad" : "";
  return (
    <div class="panel" data-testid="notification">
      <div class="panel-head">
        <div class="row">
          <Badge tone={tone}>{n.outcome}</Badge>
          <span>{channelName(n.channel)}</span>
          <span class="muted">{dateTime(n.received)}</span>
          {n.refund && <span class="mono muted">{n.refund}</span>}
        </div>
        {n.reason && <span class="muted">{n.reason}</span>}
      </div>
      <div class="panel-body stack">
        <KV rows={Object.entries(n.headers ?? {}).map(([k, v]) => [k, <span class="mono">{v}</span>])} />
        <pre class="excerpt">
          {n.body}
          {n.body_truncated ? "\n… (cut at 64 KiB)" : ""}
        </pre>
      </div>
    </div>
  );
}

/** Pay / Fail for a pending sandbox charge in test mode. */
function SandboxActions(props: { charge: Charge; onDone: () => void }) {
  const c = props.charge;
  const [busy, setBusy] = useState<string | null>(null);
  if (c.livemode || c.channel !== "sandbox" || c.status !== "unpaid") return null;
  async function press(result: "paid" | "failed") {
    setBusy(result);
    try {
      const r = await api.post<{ notified: boolean; charge: Charge }>(`/charges/${c.id}/sandbox`, { result });
      toast(r.notified ? (result === "paid" ? "Paid in the sandbox" : "Failed in the sandbox") : "Sent; the notification is still on its way");
      props.onDone();
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  }
  return (
    <>
      <Badge tone="test" plain>
        Sandbox
      </Badge>
      <button type="button" class="btn success" disabled={busy !== null} onClick={() => press("paid")} data-testid="sandbox-pay">
        {busy === "paid" ? "Paying…" : "Pay"}
      </button>
      <button type="button" class="btn" disabled={busy !== null} onClick={() => press("failed")} data-testid="sandbox-fail">
        {busy === "failed" ? "Failing…" : "Fail"}
      </button>
    </>
  );
}
