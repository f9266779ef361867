// Operator only: tenants and dashboard users.
import { useState } from "preact/hooks";
import { api } from "../api";
import { Badge, CopyButton, Empty, ErrorBox, Loading, Modal, PageHead, Panel, toast, useAsync } from "../components/ui";
import { dateShort } from "../format";
import type { List, ManagedUser, Tenant } from "../types";

export function Team() {
  const tenants = useAsync(() => api.get<List<Tenant>>("/tenants").then((l) => l.data), []);
  const users = useAsync(() => api.get<List<ManagedUser>>("/users").then((l) => l.data), []);
  const [newTenant, setNewTenant] = useState(false);
  const [newUser, setNewUser] = useState(false);
  const [created, setCreated] = useState<ManagedUser | null>(null);
  const names: Record<string, string> = {};
  for (const t of tenants.data ?? []) names[t.id] = t.name;

  return (
    <div class="stack">
      <PageHead title="Tenants & users" sub="Operators see every tenant; a tenant user sees only its own tenant's apps" />
      <Panel title="Tenants" actions={<button class="btn small" onClick={() => setNewTenant(true)}>New tenant</button>}>
        {tenants.error !== null && <div class="panel-body"><ErrorBox error={tenants.error} /></div>}
        {!tenants.data && tenants.loading && <Loading />}
        {tenants.data && tenants.data.length === 0 && <Empty title="No tenants" icon="▦">Create a tenant, then an app and a user for it.</Empty>}
        {tenants.data && tenants.data.length > 0 && (
          <div class="table-wrap">
            <table class="data">
              <thead>
                <tr>
                  <th>Name</th>
                  <th class="hide-sm">Id</th>
                  <th class="right">Apps</th>
                  <th class="right">Created</th>
                </tr>
              </thead>
              <tbody>
                {tenants.data.map((t) => (
                  <tr key={t.id}>
                    <td>{t.name}</td>
                    <td class="hide-sm mono">{t.id}</td>
                    <td class="right">{t.apps}</td>
                    <td class="right muted nowrap">{dateShort(t.created)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
      <Panel title="Dashboard users" actions={<button class="btn small" onClick={() => setNewUser(true)}>New user</button>}>
        {users.error !== null && <div class="panel-body"><ErrorBox error={users.error} /></div>}
        {!users.data && users.loading && <Loading />}
        {users.data && (
          <div class="table-wrap">
            <table class="data">
              <thead>
                <tr>
                  <th>Email</th>
                  <th>Role</th>
                  <th class="hide-sm">Tenant</th>
                  <th class="right">Created</th>
                  <th class="right" />
                </tr>
              </thead>
              <tbody>
                {users.data.map((u) => (
                  <tr key={u.id}>
                    <td>{u.email}</td>
                    <td>{u.role === "operator" ? <Badge tone="info">operator</Badge> : <Badge>tenant</Badge>}</td>
                    <td class="hide-sm">{u.tenant ? names[u.tenant] ?? u.tenant : <span class="muted">all</span>}</td>
                    <td class="right muted nowrap">{dateShort(u.created)}</td>
                    <td class="right">
                      <button
                        class="btn small"
                        onClick={async () => {
                          if (!window.confirm(`Remove ${u.email}? Their sessions end at once.`)) return;
                          try {
                            await api.del(`/users/${u.id}`);
                            toast("User removed");
                            users.reload();
                          } catch (e) {
                            toast(e instanceof Error ? e.message : String(e));
                          }
                        }}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
      {newTenant && (
        <Prompt
          title="New tenant"
          label="Name"
          onClose={() => setNewTenant(false)}
          onSubmit={async (name) => {
            await api.post("/tenants", { name });
            setNewTenant(false);
            tenants.reload();
          }}
        />
      )}
      {newUser && (
        <NewUser
          tenants={tenants.data ?? []}
          onClose={() => setNewUser(false)}
          onDone={(u) => {
            setNewUser(false);
            if (u.password) setCreated(u);
            users.reload();
          }}
        />
      )}
      {created?.password && (
        <Modal title="Password for the new user" onClose={() => setCreated(null)} footer={<button class="btn primary" onClick={() => setCreated(null)}>Done</button>}>
          <p>
            Give <strong>{created.email}</strong> this password. It is shown only now.
          </p>
          <div class="secret-once">{created.password}</div>
          <div>
            <CopyButton text={created.password} />
          </div>
        </Modal>
      )}
    </div>
  );
}

function Prompt(props: { title: string; label: string; onClose: () => void; onSubmit: (v: string) => Promise<void> }) {
  const [v, setV] = useState("");
  const [error, setError] = useState<unknown>(null);
  return (
    <Modal
      title={props.title}
      onClose={props.onClose}
      footer={
        <button class="btn primary" disabled={!v.trim()} onClick={() => props.onSubmit(v.trim()).catch(setError)}>
          Create
        </button>
      }
    >
      {error !== null && <ErrorBox error={error} />}
      <label class="field">
        {props.label}
        <input value={v} onInput={(e) => setV((e.target as HTMLInputElement).value)} />
      </label>
    </Modal>
  );
}

function NewUser(props: { tenants: Tenant[]; onClose: () => void; onDone: (u: ManagedUser) => void }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<"tenant" | "operator">("tenant");
  const [tenant, setTenant] = useState(props.tenants[0]?.id ?? "");
  const [error, setError] = useState<unknown>(null);
  return (
    <Modal
      title="New dashboard user"
      onClose={props.onClose}
      footer={
        <button
          class="btn primary"
          disabled={!email.trim() || (role === "tenant" && !tenant)}
          onClick={() =>
            api
              .post<ManagedUser>("/users", { email: email.trim(), role, ...(role === "tenant" ? { tenant } : {}) })
              .then(props.onDone, setError)
          }
        >
          Create user
        </button>
      }
    >
      {error !== null && <ErrorBox error={error} />}
      <label class="field">
        Email
        <input type="email" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
      </label>
      <label class="field">
        Role
        <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as "tenant" | "operator")}>
          <option value="tenant">Tenant user: sees one tenant</option>
          <option value="operator">Operator: sees everything</option>
        </select>
      </label>
      {role === "tenant" && (
        <label class="field">
          Tenant
          <select value={tenant} onChange={(e) => setTenant((e.target as HTMLSelectElement).value)}>
            {props.tenants.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.id})
              </option>
            ))}
          </select>
        </label>
      )}
      <p class="muted">A password is generated and shown once.</p>
    </Modal>
  );
}
