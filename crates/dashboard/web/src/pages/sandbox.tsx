// Test mode only: pending sandbox charges, each payable or failable here,
// which plays the payer on the sandbox provider's pay page.
import { useState } from "preact/hooks";
import { api } from "../api";
import { Empty, ErrorBox, Link, Loading, PageHead, Panel, Status, toast, useAsync } from "../components/ui";
import { dateShort, money } from "../format";
import { useSession } from "../session";
import type { Charge, List } from "../types";

export function Sandbox() {
  const { mode, setMode } = useSession();
  const st = useAsync(
    () => (mode === "test" ? api.get<List<Charge>>("/charges", { mode: "test", channel: "sandbox", status: "unpaid", limit: 50 }) : Promise.resolve(null)),
    [mode],
  );
  const [busy, setBusy] = useState<string | null>(null);

  if (mode !== "test") {
    return (
      <Empty title="The sandbox is for test mode" icon="⚗" actions={<button class="btn primary" onClick={() => setMode("test")}>Switch to test mode</button>}>
        Live charges are paid by real payers through real channels.
      </Empty>
    );
  }

  async function press(c: Charge, result: "paid" | "failed") {
    setBusy(c.id + result);
    try {
      await api.post(`/charges/${c.id}/sandbox`, { result });
      toast(`${c.order_no}: ${result === "paid" ? "paid" : "failed"}`);
      st.reload();
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  }

  const list = st.data?.data;
  return (
    <div class="stack">
      <PageHead title="Sandbox" sub="Pay or fail pending test charges of the sandbox channel, as the payer would on its pay page" />
      <Panel title="Waiting for payment">
        {st.error !== null && (
          <div class="panel-body">
            <ErrorBox error={st.error} />
          </div>
        )}
        {!list && st.loading && <Loading />}
        {list && list.length === 0 && (
          <Empty title="No pending sandbox charges" icon="⚗" actions={<Link class="btn" href="/charges?channel=sandbox">All sandbox charges</Link>}>
            Create one with a test key and <code>channel=sandbox</code>; it waits here until you pay or fail it. The sandbox then sends a signed
            notification, exactly like a real channel.
          </Empty>
        )}
        {list && list.length > 0 && (
          <div class="table-wrap">
            <table class="data" data-testid="sandbox-table">
              <thead>
                <tr>
                  <th>Amount</th>
                  <th>Order</th>
                  <th class="hide-sm">App</th>
                  <th class="hide-sm">Status</th>
                  <th class="hide-sm">Created</th>
                  <th class="right">Payer's choice</th>
                </tr>
              </thead>
              <tbody>
                {list.map((c) => (
                  <tr key={c.id} data-id={c.id}>
                    <td class="amount">{money(c.amount, c.currency)}</td>
                    <td>
                      <Link href={`/charges/${c.id}`}>{c.order_no}</Link>
                      <div class="muted">{c.subject}</div>
                    </td>
                    <td class="hide-sm">{c.app_name ?? c.app}</td>
                    <td class="hide-sm">
                      <Status status={c.status} />
                    </td>
                    <td class="hide-sm muted nowrap">{dateShort(c.created)}</td>
                    <td class="right">
                      <div class="row end">
                        <button class="btn small success" disabled={busy !== null} onClick={() => press(c, "paid")}>
                          Pay
                        </button>
                        <button class="btn small" disabled={busy !== null} onClick={() => press(c, "failed")}>
                          Fail
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
    </div>
  );
}
