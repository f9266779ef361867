import { useEffect, useState } from "preact/hooks";
import { api, downloadUrl } from "../api";
import { AppSelect } from "../components/app-select";
import { DateRange, ListState, Pager, SelectFilter, useFilters } from "../components/list";
import { Empty, Link, PageHead, Panel, Status, useAsync } from "../components/ui";
import { CHANNEL_NAMES, channelName, dateShort, dayToUnix, money } from "../format";
import { navigate } from "../router";
import { useSession } from "../session";
import type { Charge, List } from "../types";

const KEYS = ["app", "channel", "status", "from", "to", "q"];
const STATUSES = ["unpaid", "paid", "refunded", "closed", "failed"];

/** The admin API's query for the filters in the URL (dates as local days). */
export function chargeQuery(f: Record<string, string>, mode: string) {
  return {
    mode,
    app: f.app,
    channel: f.channel,
    status: f.status,
    created_from: f.from ? dayToUnix(f.from) : undefined,
    created_to: f.to ? dayToUnix(f.to, true) : undefined,
    q: f.q.trim(),
  };
}

export function Charges() {
  const { mode } = useSession();
  const [f, setF, cursor] = useFilters("/charges", KEYS);
  const [search, setSearch] = useState(f.q);
  useEffect(() => setSearch(f.q), [f.q]);
  const params = { ...chargeQuery(f, mode), limit: 20, ...cursor };
  const st = useAsync(() => api.get<List<Charge>>("/charges", params), [JSON.stringify(params)]);
  const list = st.data;
  const filtered = KEYS.some((k) => f[k] !== "");

  return (
    <div class="stack">
      <PageHead
        title="Charges"
        sub="Every payment attempt, newest first"
        actions={
          <a class="btn" href={downloadUrl("/charges/export", chargeQuery(f, mode))} download data-testid="export-csv">
            Export CSV
          </a>
        }
      />
      <Panel>
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setF({ q: search });
          }}
        >
          <label class="field">
            Search
            <input
              type="search"
              name="q"
              placeholder="ch_… or order number"
              value={search}
              onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
            />
          </label>
          <AppSelect value={f.app} onChange={(v) => setF({ app: v })} />
          <SelectFilter
            label="Channel"
            value={f.channel}
            any="All channels"
            options={Object.keys(CHANNEL_NAMES).map((c): [string, string] => [c, channelName(c)])}
            onChange={(v) => setF({ channel: v })}
          />
          <SelectFilter label="Status" value={f.status} any="Any status" options={STATUSES} onChange={(v) => setF({ status: v })} />
          <DateRange filters={f} set={setF} />
          <div class="row">
            <button class="btn primary" type="submit">
              Search
            </button>
            {filtered && (
              <button type="button" class="btn ghost" onClick={() => navigate("/charges")}>
                Clear
              </button>
            )}
          </div>
        </form>
        <ListState
          error={st.error}
          loading={st.loading}
          list={list}
          empty={
          <Empty title={filtered ? "No charges match these filters" : `No ${mode} charges yet`} icon="₵"
            actions={filtered ? <button class="btn" onClick={() => navigate("/charges")}>Clear the filters</button> : <Link class="btn" href="/apps">See your apps and keys</Link>}>
            {filtered
              ? "Try a wider date range, another status, or search by the full ch_ id or order number."
              : mode === "test"
                ? "Create one with a test secret key: POST /v1/charges with channel=sandbox. It appears here at once."
                : "Live charges appear once an app is configured for a live channel and takes a payment."}
          </Empty>
          }
        />
        {list && list.data.length > 0 && <ChargeTable charges={list.data} />}
        <Pager path="/charges" filters={f} cursor={cursor} list={list} />
      </Panel>
    </div>
  );
}

export function ChargeTable(props: { charges: Charge[]; compact?: boolean }) {
  return (
    <div class="table-wrap">
      <table class="data" data-testid="charges-table">
        <thead>
          <tr>
            <th>Amount</th>
            <th>Status</th>
            <th>Order</th>
            <th class="hide-sm">Channel</th>
            {!props.compact && <th class="hide-sm">App</th>}
            <th class="hide-sm">Charge id</th>
            <th class="right">Created</th>
          </tr>
        </thead>
        <tbody>
          {props.charges.map((c) => (
            <tr key={c.id} class="clickable" data-id={c.id} onClick={() => navigate(`/charges/${c.id}`)}>
              <td class="amount">{money(c.amount, c.currency)}</td>
              <td>
                <Status status={c.status} />
              </td>
              <td>
                <Link href={`/charges/${c.id}`}>{c.order_no}</Link>
                <div class="muted">{c.subject}</div>
              </td>
              <td class="hide-sm">{channelName(c.channel)}</td>
              {!props.compact && <td class="hide-sm">{c.app_name ?? c.app}</td>}
              <td class="hide-sm mono">{c.id}</td>
              <td class="right nowrap muted">{dateShort(c.created)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
