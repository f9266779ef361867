import { api } from "../api";
import { AppSelect } from "../components/app-select";
import { EventList } from "../components/events";
import { DateRange, ListState, Pager, SelectFilter, TextFilter, useFilters } from "../components/list";
import { Empty, Json, KV, Link, ModeBadge, PageHead, Panel, Status, unready, useAsync } from "../components/ui";
import { channelName, dateShort, dateTime, dayToUnix, money } from "../format";
import { navigate } from "../router";
import { useSession } from "../session";
import type { List, Refund, RefundDetail } from "../types";

const KEYS = ["app", "status", "charge", "from", "to"];

export function Refunds() {
  const { mode } = useSession();
  const [f, setF, cursor] = useFilters("/refunds", KEYS);
  const params = {
    mode,
    app: f.app,
    status: f.status,
    charge: f.charge.trim(),
    created_from: f.from ? dayToUnix(f.from) : undefined,
    created_to: f.to ? dayToUnix(f.to, true) : undefined,
    limit: 20,
    ...cursor,
  };
  const st = useAsync(() => api.get<List<Refund>>("/refunds", params), [JSON.stringify(params)]);
  const list = st.data;
  const filtered = KEYS.some((k) => f[k] !== "");

  return (
    <div class="stack">
      <PageHead title="Refunds" sub="Money returned to payers, newest first" />
      <Panel>
        <div class="filters">
          <AppSelect value={f.app} onChange={(v) => setF({ app: v })} />
          <SelectFilter label="Status" value={f.status} any="Any status" options={["pending", "succeeded", "failed"]} onChange={(v) => setF({ status: v })} />
          <TextFilter label="Charge" placeholder="ch_…" value={f.charge} onChange={(v) => setF({ charge: v })} />
          <DateRange filters={f} set={setF} />
        </div>
        <ListState
          error={st.error}
          loading={st.loading}
          list={list}
          empty={
          <Empty
            title={filtered ? "No refunds match these filters" : `No ${mode} refunds yet`}
            icon="↩"
            actions={<Link class="btn" href="/charges?status=paid">Find a paid charge</Link>}
          >
            Refund a paid charge from its page, or with POST /v1/charges/{"{id}"}/refunds.
          </Empty>
          }
        />
        {list && list.data.length > 0 && <RefundTable refunds={list.data} showCharge />}
        <Pager path="/refunds" filters={f} cursor={cursor} list={list} />
      </Panel>
    </div>
  );
}

export function RefundTable(props: { refunds: Refund[]; showCharge?: boolean }) {
  return (
    <div class="table-wrap">
      <table class="data" data-testid="refunds-table">
        <thead>
          <tr>
            <th>Amount</th>
            <th>Status</th>
            <th class="hide-sm">Refund id</th>
            {props.showCharge && <th>Charge</th>}
            <th class="hide-sm">Reason</th>
            <th class="right">Created</th>
          </tr>
        </thead>
        <tbody>
          {props.refunds.map((r) => (
            <tr key={r.id} class="clickable" data-id={r.id} onClick={() => navigate(`/refunds/${r.id}`)}>
              <td class="amount">{money(r.amount, r.currency)}</td>
              <td>
                <Status status={r.status} />
              </td>
              <td class="hide-sm mono">
                <Link href={`/refunds/${r.id}`}>{r.id}</Link>
              </td>
              {props.showCharge && (
                <td>
                  <Link href={`/charges/${r.charge}`}>{r.charge_order_no || r.charge}</Link>
                </td>
              )}
              <td class="hide-sm">{r.description || <span class="muted">—</span>}</td>
              <td class="right nowrap muted">{dateShort(r.created)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function RefundDetailPage(props: { id: string }) {
  const st = useAsync(() => api.get<RefundDetail>(`/refunds/${encodeURIComponent(props.id)}`), [props.id]);
  const gate = unready(st, "refund", ["/refunds", "refunds"], props.id);
  if (gate || !st.data) return gate;
  const d = st.data;
  const r = d.refund;
  const c = d.charge;
  return (
    <div class="stack">
      <PageHead
        crumbs={<Link href="/refunds">Refunds</Link>}
        title={
          <span class="row">
            {money(r.amount, r.currency)} <Status status={r.status} /> <ModeBadge livemode={c.livemode} />
          </span>
        }
        sub={
          <>
            Refund <span class="mono">{r.id}</span> of charge <Link href={`/charges/${c.id}`}>{c.order_no}</Link>
          </>
        }
      />
      <div class="grid halves">
        <Panel title="Refund">
          <div class="panel-body">
            <KV
              rows={[
                ["Amount", money(r.amount, r.currency)],
                ["Status", <Status status={r.status} />],
                ["Reason", r.description],
                ["Created", dateTime(r.created)],
                ["Succeeded at", dateTime(r.time_succeed)],
                ["Transaction no.", r.transaction_no ? <span class="mono">{r.transaction_no}</span> : null],
                ["Failure", r.failure_code ? `${r.failure_code}: ${r.failure_msg ?? ""}` : null],
              ]}
            />
          </div>
        </Panel>
        <Panel title="Charge">
          <div class="panel-body">
            <KV
              rows={[
                ["Charge", <Link href={`/charges/${c.id}`}>{c.id}</Link>],
                ["Order", c.order_no],
                ["Amount", money(c.amount, c.currency)],
                ["Refunded so far", money(c.amount_refunded, c.currency)],
                ["Channel", channelName(c.channel)],
                ["Status", <Status status={c.status} />],
              ]}
            />
          </div>
        </Panel>
      </div>
      <Panel title="Events and webhook deliveries">
        <EventList events={d.events} onChanged={st.reload} emptyText="refund.succeeded or refund.failed is written when the channel answers." />
      </Panel>
      <details class="panel">
        <summary class="panel-head">
          <h2>Raw refund object</h2>
        </summary>
        <div class="panel-body">
          <Json value={r} />
        </div>
      </details>
    </div>
  );
}
