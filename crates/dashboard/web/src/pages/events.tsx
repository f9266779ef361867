import { api } from "../api";
import { AppSelect } from "../components/app-select";
import { DeliveryRow, ResendButton } from "../components/events";
import { DateRange, ListState, Pager, SelectFilter, TextFilter, useFilters } from "../components/list";
import { Badge, Empty, Json, KV, Link, ModeBadge, PageHead, Panel, unready, useAsync } from "../components/ui";
import { dateShort, dateTime, dayToUnix } from "../format";
import { navigate } from "../router";
import { useSession } from "../session";
import type { Delivery, Event, List } from "../types";

const KEYS = ["app", "type", "object", "delivery_status", "from", "to"];
const TYPES = ["charge.succeeded", "charge.failed", "charge.closed", "refund.succeeded", "refund.failed"];

function deliverySummary(ds: Delivery[]) {
  if (ds.length === 0) return <span class="muted">no endpoint</span>;
  const ok = ds.filter((d) => d.status === "succeeded").length;
  const failed = ds.filter((d) => d.status === "failed").length;
  const pending = ds.length - ok - failed;
  return (
    <span class="row">
      {ok > 0 && <Badge tone="ok">{ok} delivered</Badge>}
      {pending > 0 && <Badge tone="warn">{pending} pending</Badge>}
      {failed > 0 && <Badge tone="bad">{failed} failed</Badge>}
    </span>
  );
}

/** The object an event is about, as a link to its page. */
function objectLink(e: Event) {
  const o = e.data?.object ?? {};
  const id = o.id ?? "";
  if (id.startsWith("ch_")) return <Link href={`/charges/${id}`}>{id}</Link>;
  if (id.startsWith("re_")) return <Link href={`/refunds/${id}`}>{id}</Link>;
  return <span class="mono">{id}</span>;
}

export function Events() {
  const { mode } = useSession();
  const [f, setF, cursor] = useFilters("/events", KEYS);
  const params = {
    mode,
    app: f.app,
    type: f.type,
    object: f.object.trim(),
    delivery_status: f.delivery_status,
    created_from: f.from ? dayToUnix(f.from) : undefined,
    created_to: f.to ? dayToUnix(f.to, true) : undefined,
    limit: 20,
    ...cursor,
  };
  const st = useAsync(() => api.get<List<Event>>("/events", params), [JSON.stringify(params)]);
  const list = st.data;
  const filtered = KEYS.some((k) => f[k] !== "");

  return (
    <div class="stack">
      <PageHead title="Events & webhooks" sub="State changes, and their delivery to your webhook endpoints" />
      <Panel>
        <div class="filters">
          <AppSelect value={f.app} onChange={(v) => setF({ app: v })} />
          <SelectFilter label="Type" value={f.type} any="All types" options={TYPES} onChange={(v) => setF({ type: v })} />
          <SelectFilter
            label="Delivery"
            value={f.delivery_status}
            any="Any delivery"
            options={[["pending", "pending or retrying"], "failed", "succeeded"]}
            onChange={(v) => setF({ delivery_status: v })}
          />
          <TextFilter label="Object" placeholder="ch_… or re_…" value={f.object} onChange={(v) => setF({ object: v })} />
          <DateRange filters={f} set={setF} />
        </div>
        <ListState
          error={st.error}
          loading={st.loading}
          list={list}
          empty={
          <Empty title={filtered ? "No events match these filters" : `No ${mode} events yet`} icon="⚡" actions={<Link class="btn" href="/apps">Set up a webhook endpoint</Link>}>
            Events are written when a charge is paid, fails or closes, and when a refund completes. Add a webhook endpoint to an app to receive them.
          </Empty>
          }
        />
        {list && list.data.length > 0 && (
          <div class="table-wrap">
            <table class="data" data-testid="events-table">
              <thead>
                <tr>
                  <th>Event</th>
                  <th class="hide-sm">Object</th>
                  <th>Webhooks</th>
                  <th class="right">Created</th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((e) => (
                  <tr key={e.id} class="clickable" data-id={e.id} onClick={() => navigate(`/events/${e.id}`)}>
                    <td>
                      <Link href={`/events/${e.id}`}>
                        <strong>{e.type}</strong>
                      </Link>
                      <div class="mono muted">{e.id}</div>
                    </td>
                    <td class="hide-sm">{objectLink(e)}</td>
                    <td>{deliverySummary(e.webhook_deliveries ?? [])}</td>
                    <td class="right nowrap muted">{dateShort(e.created)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager path="/events" filters={f} cursor={cursor} list={list} />
      </Panel>
    </div>
  );
}

export function EventDetailPage(props: { id: string }) {
  const st = useAsync(() => api.get<Event>(`/events/${encodeURIComponent(props.id)}`), [props.id]);
  const gate = unready(st, "event", ["/events", "events"], props.id);
  if (gate || !st.data) return gate;
  const e = st.data;
  const ds = e.webhook_deliveries ?? [];
  return (
    <div class="stack">
      <PageHead
        crumbs={<Link href="/events">Events</Link>}
        title={
          <span class="row">
            {e.type} <ModeBadge livemode={e.livemode} />
          </span>
        }
        sub={<span class="mono">{e.id}</span>}
        actions={ds.length > 0 && <ResendButton event={e} onDone={st.reload} />}
      />
      <Panel title="Event">
        <div class="panel-body">
          <KV
            rows={[
              ["Type", e.type],
              ["Object", objectLink(e)],
              ["App", e.app ? <span class="mono">{e.app}</span> : undefined],
              ["Created", dateTime(e.created)],
              ["Pending webhooks", String(e.pending_webhooks)],
            ]}
          />
        </div>
      </Panel>
      <Panel title={`Webhook deliveries (${ds.length})`}>
        {ds.length === 0 ? (
          <Empty title="Not sent anywhere" icon="⚡" actions={e.app && <Link class="btn" href={`/apps/${e.app}/webhooks`}>Add an endpoint</Link>}>
            No enabled endpoint of this app subscribed to <code>{e.type}</code> when it happened.
          </Empty>
        ) : (
          <div class="panel-body stack">
            {ds.map((d) => (
              <DeliveryRow key={d.id} event={e} d={d} onChanged={st.reload} />
            ))}
          </div>
        )}
      </Panel>
      <Panel title="Payload (data.object)">
        <div class="panel-body">
          <Json value={e.data} />
        </div>
      </Panel>
    </div>
  );
}
