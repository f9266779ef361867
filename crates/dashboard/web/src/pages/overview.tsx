import { useState } from "preact/hooks";
import { api } from "../api";
import { Donut, HBars, Legend, StackedBars, colorFor } from "../components/charts";
import { Empty, ErrorBox, Link, Loading, PageHead, Panel, useAsync } from "../components/ui";
import { AppSelect } from "../components/app-select";
import { channelName, count, money, moneyShort, percent } from "../format";
import { useSession, utcOffsetMinutes } from "../session";
import type { Bucket, Overview as OverviewData } from "../types";

function Kpi(props: { label: string; value: string; hint?: string; id: string }) {
  return (
    <div class="panel kpi" data-testid={props.id}>
      <div class="label">{props.label}</div>
      <div class="value">{props.value}</div>
      {props.hint && <div class="hint">{props.hint}</div>}
    </div>
  );
}

function rate(b: Bucket): number | null {
  if (b.success_rate !== undefined) return b.success_rate;
  return b.count ? b.paid_count / b.count : null;
}

export function Overview() {
  const { mode } = useSession();
  const [app, setApp] = useState("");
  const st = useAsync(() => api.get<OverviewData>("/overview", { mode, app, utc_offset: utcOffsetMinutes() }), [mode, app]);
  const o = st.data;

  return (
    <div class="stack">
      <PageHead
        title="Overview"
        sub={`${mode === "test" ? "Test" : "Live"} payments: today and the last 30 days`}
        actions={<AppSelect value={app} onChange={setApp} />}
      />
      {st.error !== null && <ErrorBox error={st.error} />}
      {!o && st.loading && <Loading />}
      {o && <OverviewBody o={o} />}
    </div>
  );
}

function OverviewBody(props: { o: OverviewData }) {
  const { mode } = useSession();
  const o = props.o;
  const cur = o.currency ?? "cny";
  const keys = o.channels.map((c) => c.channel);
  // Channels seen in the daily buckets but not in the summary still get a colour.
  for (const d of o.daily) for (const k of Object.keys(d.by_channel ?? {})) if (!keys.includes(k)) keys.push(k);

  const bars = o.daily.map((d) => ({
    label: d.date.slice(5),
    title: `${d.date}: ${money(d.volume, cur)} from ${count(d.paid_count)} paid of ${count(d.count)} charges`,
    parts: keys.map((k) => ({ key: k, value: d.by_channel?.[k]?.volume ?? 0 })),
  }));
  const countBars = o.daily.map((d) => ({
    label: d.date.slice(5),
    title: `${d.date}: ${count(d.count)} charges, ${count(d.paid_count)} paid`,
    parts: [
      { key: "paid", value: d.paid_count },
      { key: "unpaid", value: Math.max(0, d.count - d.paid_count) },
    ],
  }));
  const empty = o.last_30_days.count === 0;

  return (
    <>
      <div class="grid kpis">
        <Kpi id="kpi-today-volume" label="Today's volume" value={money(o.today.volume, cur)} hint={`${count(o.today.paid_count)} paid of ${count(o.today.count)}`} />
        <Kpi id="kpi-today-rate" label="Today's success rate" value={percent(rate(o.today))} hint={`${count(o.today.count)} charges today`} />
        <Kpi id="kpi-30d-volume" label="30-day volume" value={money(o.last_30_days.volume, cur)} hint={`${money(o.last_30_days.refunded ?? 0, cur)} refunded`} />
        <Kpi id="kpi-30d-rate" label="30-day success rate" value={percent(rate(o.last_30_days))} hint={`${count(o.last_30_days.count)} charges`} />
      </div>
      {empty ? (
        <Panel>
          <Empty title={`No ${mode} charges in the last 30 days`} icon="📈">
            {mode === "test" ? (
              <>
                Create a test charge with your test secret key and it shows up here:
                <br />
                <pre>{`curl $API/v1/charges -u sk_test_…: -d "app[id]=app_…" \\\n  -d channel=sandbox -d order_no=1001 -d amount=100 \\\n  -d currency=cny -d client_ip=127.0.0.1 -d subject=Test -d body=Test`}</pre>
              </>
            ) : (
              <>Live charges appear here once an app takes payments with a live key. Configure a channel under Apps first.</>
            )}
          </Empty>
        </Panel>
      ) : (
        <>
          <div class="grid two">
            <Panel title="Volume per day, by channel">
              <div class="panel-body">
                <StackedBars bars={bars} keys={keys} format={(v) => moneyShort(v, cur)} ariaLabel="Paid volume per day for the last 30 days" />
                <Legend keys={keys} labels={channelName} />
              </div>
            </Panel>
            <Panel title="Share of 30-day volume">
              <div class="panel-body">
                <Donut
                  keys={keys}
                  parts={o.channels.map((c) => ({ key: c.channel, label: `${channelName(c.channel)}: ${money(c.last_30_days.volume, cur)}`, value: c.last_30_days.volume }))}
                  center={moneyShort(o.last_30_days.volume, cur)}
                  sub="paid, 30 days"
                />
                <Legend keys={keys} labels={channelName} />
              </div>
            </Panel>
          </div>
          <div class="grid halves">
            <Panel title="Charges per day">
              <div class="panel-body">
                <StackedBars bars={countBars} keys={["paid", "unpaid"]} format={(v) => String(Math.round(v))} height={180} ariaLabel="Charges per day, paid and unpaid" />
                <Legend keys={["paid", "unpaid"]} labels={(k) => (k === "paid" ? "Paid" : "Not paid")} />
              </div>
            </Panel>
            <Panel title="Success rate by channel (30 days)">
              <div class="panel-body">
                <HBars
                  rows={o.channels.map((c) => ({
                    key: c.channel,
                    label: channelName(c.channel),
                    ratio: rate(c.last_30_days) ?? 0,
                    value: percent(rate(c.last_30_days)),
                    color: colorFor(keys, c.channel),
                  }))}
                />
              </div>
            </Panel>
          </div>
          <Panel title="By channel" actions={<Link href="/charges" class="btn small">All charges</Link>}>
            <div class="table-wrap">
              <table class="data">
                <thead>
                  <tr>
                    <th>Channel</th>
                    <th class="right">Today</th>
                    <th class="right hide-sm">Today's charges</th>
                    <th class="right">30 days</th>
                    <th class="right hide-sm">Charges</th>
                    <th class="right">Success</th>
                  </tr>
                </thead>
                <tbody>
                  {o.channels.map((c) => (
                    <tr key={c.channel}>
                      <td>{channelName(c.channel)}</td>
                      <td class="amount right">{money(c.today.volume, cur)}</td>
                      <td class="right hide-sm">{count(c.today.count)}</td>
                      <td class="amount right">{money(c.last_30_days.volume, cur)}</td>
                      <td class="right hide-sm">{count(c.last_30_days.count)}</td>
                      <td class="right">{percent(rate(c.last_30_days))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Panel>
        </>
      )}
    </>
  );
}
