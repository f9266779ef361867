// Filters kept in the URL query (so a filtered list can be bookmarked and
// the back button works), and cursor pagination over the admin API's lists.
import type { ComponentChildren } from "preact";
import { navigate, qs, useLocation } from "../router";
import type { List } from "../types";
import { ErrorBox, Loading } from "./ui";

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

/** A `<select>` filter; `any` is the label of the empty choice. */
export function SelectFilter(props: {
  label: string;
  value: string;
  any: string;
  options: (string | [string, string])[];
  onChange: (v: string) => void;
}) {
  return (
    <label class="field">
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)} aria-label={props.label}>
        <option value="">{props.any}</option>
        {props.options.map((o) => {
          const [value, text] = typeof o === "string" ? [o, o] : o;
          return (
            <option key={value} value={value}>
              {text}
            </option>
          );
        })}
      </select>
    </label>
  );
}

/** A free-text filter applied when the field changes (on blur or Enter). */
export function TextFilter(props: { label: string; value: string; placeholder: string; onChange: (v: string) => void }) {
  return (
    <label class="field">
      {props.label}
      <input placeholder={props.placeholder} value={props.value} onChange={(e) => props.onChange((e.target as HTMLInputElement).value)} />
    </label>
  );
}

/** The "From" and "To" day pickers of every list, kept as `from`/`to` in the URL. */
export function DateRange(props: { filters: Filters; set: (f: Partial<Filters>) => void }) {
  return (
    <>
      <label class="field">
        From
        <input type="date" value={props.filters.from} onChange={(e) => props.set({ from: (e.target as HTMLInputElement).value })} />
      </label>
      <label class="field">
        To
        <input type="date" value={props.filters.to} onChange={(e) => props.set({ to: (e.target as HTMLInputElement).value })} />
      </label>
    </>
  );
}

/** What a list panel shows before its table: the error, the spinner on first load, or its empty state. */
export function ListState<T>(props: { error: unknown; loading: boolean; list: List<T> | null; empty: ComponentChildren }) {
  return (
    <>
      {props.error !== null && (
        <div class="panel-body">
          <ErrorBox error={props.error} />
        </div>
      )}
      {!props.list && props.loading && <Loading />}
      {props.list && props.list.data.length === 0 && props.empty}
    </>
  );
}
