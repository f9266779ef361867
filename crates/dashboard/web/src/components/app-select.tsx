// The list of apps the user may see, loaded once per page load and shared
// by every filter that offers "App".
import { api } from "../api";
import type { App, List } from "../types";
import { useAsync } from "./ui";

let cache: Promise<App[]> | null = null;

export function loadApps(fresh = false): Promise<App[]> {
  if (!cache || fresh) {
    cache = api.get<List<App>>("/apps").then((l) => l.data);
    cache.catch(() => {
      cache = null;
    });
  }
  return cache;
}

export function useApps() {
  return useAsync(() => loadApps(), []);
}

export function AppSelect(props: { value: string; onChange: (v: string) => void; label?: string }) {
  const apps = useApps();
  const list = apps.data ?? [];
  return (
    <label class="field">
      {props.label ?? "App"}
      <select value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)} aria-label="App">
        <option value="">All apps</option>
        {list.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name}
            {a.tenant_name ? ` (${a.tenant_name})` : ""}
          </option>
        ))}
      </select>
    </label>
  );
}
