import { useState } from "preact/hooks";
import { api } from "../api";
import { loadApps } from "../components/app-select";
import { Badge, Empty, ErrorBox, KV, Link, Loading, Modal, PageHead, Panel, toast, unready, useAsync } from "../components/ui";
import { dateShort, dateTime } from "../format";
import { navigate } from "../router";
import { useSession } from "../session";
import type { App, List, Tenant } from "../types";
import { Channels } from "./channels";
import { Webhooks } from "./webhooks";

export function Apps() {
  const { user } = useSession();
  const st = useAsync(() => loadApps(true), []);
  const [creating, setCreating] = useState(false);
  const apps = st.data;
  return (
    <div class="stack">
      <PageHead
        title="Apps"
        sub="Each app has its own channels and webhook endpoints. API keys belong to the tenant."
        actions={
          <button type="button" class="btn primary" onClick={() => setCreating(true)}>
            New app
          </button>
        }
      />
      {creating && <NewApp onClose={() => setCreating(false)} onDone={(a) => navigate(`/apps/${a.id}`)} />}
      <Panel>
        {st.error !== null && (
          <div class="panel-body">
            <ErrorBox error={st.error} />
          </div>
        )}
        {!apps && st.loading && <Loading />}
        {apps && apps.length === 0 && (
          <Empty title="No apps yet" icon="▦" actions={<button class="btn primary" onClick={() => setCreating(true)}>Create your first app</button>}>
            An app groups the charges of one shop or product. New apps can take sandbox, Alipay and WeChat Pay test payments at once.
          </Empty>
        )}
        {apps && apps.length > 0 && (
          <div class="table-wrap">
            <table class="data" data-testid="apps-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th class="hide-sm">App id</th>
                  {user.role === "operator" && <th>Tenant</th>}
                  <th class="hide-sm">Request signing</th>
                  <th class="right">Created</th>
                </tr>
              </thead>
              <tbody>
                {apps.map((a) => (
                  <tr key={a.id} class="clickable" data-id={a.id} onClick={() => navigate(`/apps/${a.id}`)}>
                    <td>
                      <Link href={`/apps/${a.id}`}>
                        <strong>{a.name}</strong>
                      </Link>
                    </td>
                    <td class="hide-sm mono">{a.id}</td>
                    {user.role === "operator" && <td>{a.tenant_name ?? a.tenant}</td>}
                    <td class="hide-sm">{a.request_signing ? <Badge tone="ok">RSA key set</Badge> : <span class="muted">off</span>}</td>
                    <td class="right muted nowrap">{dateShort(a.created)}</td>
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

function NewApp(props: { onClose: () => void; onDone: (a: App) => void }) {
  const { user } = useSession();
  const operator = user.role === "operator";
  const tenants = useAsync(() => (operator ? api.get<List<Tenant>>("/tenants").then((l) => l.data) : Promise.resolve([])), [operator]);
  const [name, setName] = useState("");
  const [tenant, setTenant] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit() {
    setBusy(true);
    setError(null);
    try {
      const a = await api.post<App>("/apps", { name: name.trim(), ...(operator ? { tenant } : {}) });
      await loadApps(true);
      toast(`App ${a.name} created`);
      props.onDone(a);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal
      title="New app"
      onClose={props.onClose}
      footer={
        <>
          <button type="button" class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="button" class="btn primary" disabled={busy || !name.trim() || (operator && !tenant)} onClick={submit}>
            Create app
          </button>
        </>
      }
    >
      {error !== null && <ErrorBox error={error} />}
      <label class="field">
        Name
        <input value={name} placeholder="My shop" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </label>
      {operator && (
        <label class="field">
          Tenant
          <select value={tenant} onChange={(e) => setTenant((e.target as HTMLSelectElement).value)}>
            <option value="">Choose a tenant…</option>
            {(tenants.data ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.id})
              </option>
            ))}
          </select>
        </label>
      )}
    </Modal>
  );
}

export function AppDetailPage(props: { id: string; tab: string }) {
  const st = useAsync(() => api.get<App>(`/apps/${encodeURIComponent(props.id)}`), [props.id]);
  const gate = unready(st, "app", ["/apps", "apps"], props.id);
  if (gate || !st.data) return gate;
  const a = st.data;
  const tab = props.tab === "channels" ? "channels" : "webhooks";
  return (
    <div class="stack">
      <PageHead crumbs={<Link href="/apps">Apps</Link>} title={a.name} sub={<span class="mono">{a.id}</span>} />
      <Panel>
        <div class="panel-body">
          <KV
            rows={[
              ["App id", <span class="mono">{a.id}</span>],
              ["Tenant", <>{a.tenant_name ?? ""} <span class="mono muted">{a.tenant}</span></>],
              ["Request signing", a.request_signing ? "on: /v1 requests must carry Pingplusplus-Signature" : "off"],
              ["Created", dateTime(a.created)],
              ["API keys", <Link href={`/keys?tenant=${a.tenant}`}>Manage this tenant's keys</Link>],
            ]}
          />
        </div>
      </Panel>
      <nav class="tabs">
        <Link href={`/apps/${a.id}/webhooks`} class={tab === "webhooks" ? "active" : ""}>
          Webhook endpoints
        </Link>
        <Link href={`/apps/${a.id}/channels`} class={tab === "channels" ? "active" : ""}>
          Channels
        </Link>
      </nav>
      {tab === "webhooks" ? <Webhooks app={a} /> : <Channels app={a} />}
    </div>
  );
}
