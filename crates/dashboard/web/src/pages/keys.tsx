// A tenant's API keys in the current mode. A new key's secret is shown once.
import { useState } from "preact/hooks";
import { api } from "../api";
import { Badge, CopyButton, Empty, ErrorBox, Loading, Modal, PageHead, Panel, toast, useAsync } from "../components/ui";
import { dateShort } from "../format";
import { navigate, useLocation } from "../router";
import { useSession } from "../session";
import type { ApiKey, List, Tenant } from "../types";

export function Keys() {
  const { user, mode } = useSession();
  const loc = useLocation();
  const operator = user.role === "operator";
  const tenants = useAsync(() => (operator ? api.get<List<Tenant>>("/tenants").then((l) => l.data) : Promise.resolve([])), [operator]);
  const tenant = operator ? loc.query.get("tenant") ?? tenants.data?.[0]?.id ?? "" : user.tenant ?? "";
  const st = useAsync(
    () => (tenant || !operator ? api.get<List<ApiKey>>("/keys", { mode, tenant: operator ? tenant : undefined }) : Promise.resolve(null)),
    [mode, tenant],
  );
  const [created, setCreated] = useState<ApiKey | null>(null);
  const [busy, setBusy] = useState(false);
  const keys = st.data?.data;

  async function create() {
    setBusy(true);
    try {
      const k = await api.post<ApiKey>(`/keys?mode=${mode}`, operator ? { tenant } : {});
      setCreated(k);
      st.reload();
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(k: ApiKey) {
    if (!window.confirm(`Revoke ${k.hint}? Requests with it fail at once; other nodes stop accepting it within 30 seconds.`)) return;
    try {
      await api.del(`/keys/${k.id}`);
      toast("Key revoked");
      st.reload();
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <div class="stack">
      <PageHead
        title="API keys"
        sub={`Secret keys for the /v1 API in ${mode} mode. A key unlocks every app of its tenant.`}
        actions={
          <button type="button" class="btn primary" onClick={create} disabled={busy || (operator && !tenant)} data-testid="key-create">
            Create {mode} key
          </button>
        }
      />
      {operator && (
        <label class="field">
          Tenant
          <select value={tenant} onChange={(e) => navigate(`/keys?tenant=${(e.target as HTMLSelectElement).value}`, { replace: true })}>
            {(tenants.data ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.id})
              </option>
            ))}
          </select>
        </label>
      )}
      {created?.secret && (
        <Modal title="Your new secret key" onClose={() => setCreated(null)} footer={<button class="btn primary" onClick={() => setCreated(null)}>I have saved it</button>}>
          <p>
            Copy it now. It is shown <strong>only once</strong>; Unicharge keeps just a keyed hash.
          </p>
          <div class="secret-once" data-testid="key-secret">
            {created.secret}
          </div>
          <div>
            <CopyButton text={created.secret} />
          </div>
        </Modal>
      )}
      <Panel>
        {st.error !== null && (
          <div class="panel-body">
            <ErrorBox error={st.error} />
          </div>
        )}
        {!keys && st.loading && <Loading />}
        {keys && keys.length === 0 && (
          <Empty title={`No ${mode} keys`} icon="🔑" actions={<button class="btn primary" onClick={create}>Create a {mode} key</button>}>
            Your server sends this key with every /v1 request, as <code>Authorization: Bearer sk_{mode}_…</code>.
          </Empty>
        )}
        {keys && keys.length > 0 && (
          <div class="table-wrap">
            <table class="data" data-testid="keys-table">
              <thead>
                <tr>
                  <th>Key</th>
                  <th>Status</th>
                  <th class="hide-sm">Id</th>
                  <th class="hide-sm">Created</th>
                  <th class="right">Actions</th>
                </tr>
              </thead>
              <tbody>
                {keys.map((k) => (
                  <tr key={k.id} data-id={k.id}>
                    <td class="mono">{k.hint}</td>
                    <td>{k.revoked ? <Badge>revoked</Badge> : <Badge tone="ok">active</Badge>}</td>
                    <td class="hide-sm mono muted">{k.id}</td>
                    <td class="hide-sm muted nowrap">{dateShort(k.created)}</td>
                    <td class="right">
                      {!k.revoked && (
                        <button class="btn small" onClick={() => revoke(k)}>
                          Revoke
                        </button>
                      )}
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
