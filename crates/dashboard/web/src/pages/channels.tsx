// An app's channel configuration in the current mode. Secret parameters
// (private keys, API keys) are uploaded or pasted and never shown again:
// the server returns only whether each is set and a short fingerprint.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { api } from "../api";
import { Badge, Empty, ErrorBox, KV, Loading, Panel, toast, useAsync } from "../components/ui";
import { channelName, dateTime } from "../format";
import { useSession } from "../session";
import type { App, ChannelConfig, List } from "../types";

const PROVIDERS: Record<string, string> = { sandbox: "Sandbox", alipay: "Alipay", wx: "WeChat Pay" };

export function Channels(props: { app: App }) {
  const { mode } = useSession();
  const base = `/apps/${props.app.id}/channels`;
  const st = useAsync(() => api.get<List<ChannelConfig>>(base, { mode }), [base, mode]);
  if (!st.data) return st.error !== null ? <ErrorBox error={st.error} /> : <Loading />;
  return (
    <div class="stack">
      {st.data.data.map((c) => (
        <ChannelCard key={c.channel} base={base} config={c} onSaved={st.reload} />
      ))}
    </div>
  );
}

function ChannelCard(props: { base: string; config: ChannelConfig; onSaved: () => void }) {
  const { mode } = useSession();
  const c = props.config;
  const [editing, setEditing] = useState(false);
  const title = (
    <span class="row">
      {PROVIDERS[c.channel] ?? channelName(c.channel)}
      {!c.available ? (
        <Badge>not in {mode} mode</Badge>
      ) : !c.configured ? (
        <Badge>not configured</Badge>
      ) : c.enabled ? (
        <Badge tone="ok">enabled</Badge>
      ) : (
        <Badge>disabled</Badge>
      )}
    </span>
  );
  return (
    <Panel
      title={title}
      actions={
        c.available && (
          <button type="button" class="btn small" onClick={() => setEditing(!editing)}>
            {editing ? "Close" : c.configured ? "Edit" : "Configure"}
          </button>
        )
      }
    >
      <div class="panel-body stack" data-testid="channel" data-channel={c.channel}>
        <div class="muted">Products: {c.products.map(channelName).join(", ")}</div>
        {!c.available ? (
          <div class="muted">The {PROVIDERS[c.channel] ?? c.channel} channel cannot be used in {mode} mode.</div>
        ) : !c.configured && !editing ? (
          <Empty title="Not configured" icon="⚙">
            Enter the merchant parameters and upload the keys from the provider's console to take {mode} payments.
          </Empty>
        ) : (
          !editing && (
            <KV
              rows={[
                ...Object.entries(c.params).map(([k, v]): [string, ComponentChildren] => [k, <ParamValue value={String(v)} />]),
                ...Object.entries(c.secrets).map(([k, s]): [string, ComponentChildren] => [
                  k,
                  s.set ? (
                    <span class="mono" data-testid="masked-secret">
                      •••••••• <span class="muted">fingerprint {s.fingerprint}</span>
                    </span>
                  ) : (
                    <span class="muted">not set</span>
                  ),
                ]),
                ["Updated", dateTime(c.updated)],
              ]}
            />
          )
        )}
        {editing && (
          <ChannelForm
            base={props.base}
            config={c}
            onSaved={() => {
              setEditing(false);
              props.onSaved();
            }}
          />
        )}
      </div>
    </Panel>
  );
}

/** A public key or certificate is long: show its start, expand on demand. */
function ParamValue(props: { value: string }) {
  const v = props.value;
  if (v.length <= 72) return <span class="mono">{v}</span>;
  const head = v.replace(/-----BEGIN [A-Z ]+-----/, "").trim().slice(0, 32);
  return (
    <details>
      <summary class="mono">
        {head}… <span class="muted">({v.length} characters)</span>
      </summary>
      <pre class="mono">{v}</pre>
    </details>
  );
}

function ChannelForm(props: { base: string; config: ChannelConfig; onSaved: () => void }) {
  const { mode } = useSession();
  const c = props.config;
  const [values, setValues] = useState<Record<string, string>>({ ...c.params });
  const [enabled, setEnabled] = useState(c.configured ? c.enabled : true);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: string, v: string) => setValues((cur) => ({ ...cur, [k]: v }));

  async function save(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    // Secrets left empty are not sent, and the server keeps the stored ones.
    const params: Record<string, string> = {};
    for (const spec of c.param_specs) {
      const v = (values[spec.name] ?? "").trim();
      if (v !== "") params[spec.name] = v;
    }
    try {
      await api.put(`${props.base}/${c.channel}?mode=${mode}`, { enabled, params });
      toast(`${PROVIDERS[c.channel] ?? c.channel} saved`);
      props.onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={save} class="stack">
      {error !== null && <ErrorBox error={error} />}
      <div class="form-grid">
        {c.param_specs.map((spec) =>
          spec.secret ? (
            <label class="field" key={spec.name}>
              {spec.name}
              {spec.required && " *"}{" "}
              <span class="muted">{c.secrets[spec.name]?.set ? `set (fingerprint ${c.secrets[spec.name]?.fingerprint}); leave empty to keep` : "not set"}</span>
              <textarea
                name={spec.name}
                placeholder={spec.doc || "Paste the key, or choose a file below"}
                value={values[spec.name] ?? ""}
                onInput={(e) => set(spec.name, (e.target as HTMLTextAreaElement).value)}
                autocomplete="off"
                spellcheck={false}
              />
              <input
                type="file"
                aria-label={`Upload ${spec.name}`}
                onChange={async (e) => {
                  const f = (e.target as HTMLInputElement).files?.[0];
                  if (f) set(spec.name, await f.text());
                }}
              />
            </label>
          ) : (
            <label class="field" key={spec.name}>
              {spec.name}
              {spec.required && " *"}
              <input name={spec.name} placeholder={spec.doc} value={values[spec.name] ?? ""} onInput={(e) => set(spec.name, (e.target as HTMLInputElement).value)} />
            </label>
          ),
        )}
      </div>
      <label class="row">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled((e.target as HTMLInputElement).checked)} /> Enabled
      </label>
      <div class="row">
        <button class="btn primary" type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}
