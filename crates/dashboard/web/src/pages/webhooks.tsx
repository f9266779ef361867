// An app's webhook endpoints in the current mode.
import { useState } from "preact/hooks";
import { api } from "../api";
import { Badge, CopyButton, Empty, ErrorBox, Loading, Modal, Panel, toast, useAsync } from "../components/ui";
import { dateShort } from "../format";
import { useSession } from "../session";
import type { App, List, WebhookEndpoint } from "../types";

const EVENT_TYPES = ["charge.succeeded", "charge.failed", "charge.closed", "refund.succeeded", "refund.failed"];

export function Webhooks(props: { app: App }) {
  const { mode } = useSession();
  const base = `/apps/${props.app.id}/webhook_endpoints`;
  const st = useAsync(() => api.get<List<WebhookEndpoint>>(base, { mode }), [base, mode]);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<WebhookEndpoint | null>(null);
  const list = st.data?.data;

  async function act(p: Promise<unknown>, msg: string) {
    try {
      await p;
      toast(msg);
      st.reload();
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <Panel
      title={`Webhook endpoints (${mode})`}
      actions={
        <button type="button" class="btn primary" onClick={() => setCreating(true)} data-testid="endpoint-new">
          Add endpoint
        </button>
      }
    >
      {creating && (
        <NewEndpoint
          base={base}
          onClose={() => setCreating(false)}
          onDone={(we) => {
            setCreating(false);
            setSecret(we);
            st.reload();
          }}
        />
      )}
      {secret?.secret && (
        <Modal title="Signing secret" onClose={() => setSecret(null)} footer={<button class="btn primary" onClick={() => setSecret(null)}>I have saved it</button>}>
          <p>
            Verify the <code>Unicharge-Signature</code> header with this secret. It is shown <strong>only now</strong>.
          </p>
          <div class="secret-once" data-testid="endpoint-secret">
            {secret.secret}
          </div>
          <div>
            <CopyButton text={secret.secret} />
          </div>
        </Modal>
      )}
      {st.error !== null && (
        <div class="panel-body">
          <ErrorBox error={st.error} />
        </div>
      )}
      {!list && st.loading && <Loading />}
      {list && list.length === 0 && (
        <Empty title="No webhook endpoints" icon="⚡" actions={<button class="btn primary" onClick={() => setCreating(true)}>Add an endpoint</button>}>
          Add your server's URL to receive charge.succeeded, refund.succeeded and the other events, signed and retried for about 25 hours.
        </Empty>
      )}
      {list && list.length > 0 && (
        <div class="table-wrap">
          <table class="data" data-testid="endpoints-table">
            <thead>
              <tr>
                <th>URL</th>
                <th class="hide-sm">Events</th>
                <th>Status</th>
                <th class="hide-sm">Created</th>
                <th class="right">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((we) => (
                <tr key={we.id} data-id={we.id}>
                  <td>
                    <div class="mono">{we.url}</div>
                    <div class="muted">{we.description || we.id}</div>
                  </td>
                  <td class="hide-sm">{we.enabled_events.includes("*") ? "all events" : we.enabled_events.join(", ")}</td>
                  <td>
                    <Badge tone={we.status === "enabled" ? "ok" : ""}>{we.status}</Badge>
                  </td>
                  <td class="hide-sm muted nowrap">{dateShort(we.created)}</td>
                  <td class="right">
                    <div class="row end">
                      <button
                        class="btn small"
                        onClick={() =>
                          act(api.put(`${base}/${we.id}`, { disabled: we.status === "enabled" }), we.status === "enabled" ? "Endpoint disabled" : "Endpoint enabled")
                        }
                      >
                        {we.status === "enabled" ? "Disable" : "Enable"}
                      </button>
                      <button
                        class="btn small"
                        onClick={async () => {
                          if (!window.confirm("Rotate the signing secret? The old one keeps working for 24 hours.")) return;
                          try {
                            setSecret(await api.post<WebhookEndpoint>(`${base}/${we.id}/rotate_secret`, { expire_previous_in: 86400 }));
                          } catch (e) {
                            toast(e instanceof Error ? e.message : String(e));
                          }
                        }}
                      >
                        Rotate secret
                      </button>
                      <button
                        class="btn small"
                        onClick={() => window.confirm(`Delete the endpoint ${we.url}? Pending deliveries to it stop.`) && act(api.del(`${base}/${we.id}`), "Endpoint deleted")}
                      >
                        Delete
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
  );
}

function NewEndpoint(props: { base: string; onClose: () => void; onDone: (we: WebhookEndpoint) => void }) {
  const { mode } = useSession();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [all, setAll] = useState(true);
  const [events, setEvents] = useState<string[]>(["charge.succeeded", "refund.succeeded"]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit() {
    setBusy(true);
    setError(null);
    try {
      const we = await api.post<WebhookEndpoint>(`${props.base}?mode=${mode}`, {
        url: url.trim(),
        enabled_events: all ? ["*"] : events,
        ...(description.trim() ? { description: description.trim() } : {}),
      });
      props.onDone(we);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal
      title={`Add a ${mode} endpoint`}
      onClose={props.onClose}
      footer={
        <>
          <button type="button" class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="button" class="btn primary" disabled={busy || !url.trim() || (!all && events.length === 0)} onClick={submit} data-testid="endpoint-create">
            Add endpoint
          </button>
        </>
      }
    >
      {error !== null && <ErrorBox error={error} />}
      <label class="field">
        URL
        <input name="url" type="url" placeholder="https://shop.example/hooks" value={url} onInput={(e) => setUrl((e.target as HTMLInputElement).value)} />
      </label>
      <label class="field">
        Description (optional)
        <input name="description" value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
      </label>
      <label class="row">
        <input type="checkbox" checked={all} onChange={(e) => setAll((e.target as HTMLInputElement).checked)} /> Send every event type
      </label>
      {!all &&
        EVENT_TYPES.map((t) => (
          <label class="row" key={t}>
            <input
              type="checkbox"
              checked={events.includes(t)}
              onChange={(e) => setEvents((cur) => ((e.target as HTMLInputElement).checked ? [...cur, t] : cur.filter((x) => x !== t)))}
            />
            <code>{t}</code>
          </label>
        ))}
    </Modal>
  );
}
