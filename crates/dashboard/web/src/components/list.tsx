// Filters kept in the URL query (so a filtered list can be bookmarked and
// the back button works), and cursor pagination over the admin API's lists.
import { navigate, qs, useLocation } from "../router";
import type { List } from "../types";

export type Filters = Record<string, string>;

/** The current query as a plain object, and a setter that resets paging. */
export function useFilters(path: string, keys: string[]): [Filters, (f: Partial<Filters>) => void, Filters] {
  const loc = useLocation();
  const filters: Filters = {};
  for (const k of keys) filters[k] = loc.query.get(k) ?? "";
  const cursor: Filters = {
    starting_after: loc.query.get("starting_after") ?? "",
    ending_before: loc.query.get("ending_before") ?? "",
  };
  const set = (f: Partial<Filters>) => {
    const next: Record<string, string> = { ...filters };
    for (const [k, v] of Object.entries(f)) next[k] = v ?? "";
    navigate(path + qs(next));
  };
  return [filters, set, cursor];
}

export function Pager<T extends { id: string }>(props: { path: string; filters: Filters; cursor: Filters; list: List<T> | null }) {
  const l = props.list;
  if (!l || l.data.length === 0) return null;
  const backward = props.cursor.ending_before !== "";
  const forward = props.cursor.starting_after !== "";
  const hasPrev = backward ? l.has_more : forward;
  const hasNext = backward ? true : l.has_more;
  const first = l.data[0].id;
  const last = l.data[l.data.length - 1].id;
  return (
    <div class="pager">
      <span>{l.data.length} shown</span>
      <div class="row">
        <button
          type="button"
          class="btn small"
          disabled={!hasPrev}
          onClick={() => navigate(props.path + qs({ ...props.filters, ending_before: first }))}
        >
          ← Newer
        </button>
        <button
          type="button"
          class="btn small"
          disabled={!hasNext}
          onClick={() => navigate(props.path + qs({ ...props.filters, starting_after: last }))}
        >
          Older →
        </button>
      </div>
    </div>
  );
}
