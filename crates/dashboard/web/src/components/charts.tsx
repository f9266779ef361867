// Hand-drawn SVG charts: a stacked daily bar chart, a donut and horizontal
// bars. Sizes are set through SVG attributes, never inline style text, so
// the server's CSP needs no 'unsafe-inline'.
import { useEffect, useRef, useState } from "preact/hooks";

export const PALETTE = ["#4f46e5", "#0ea5a4", "#f59e0b", "#ec4899", "#10b981", "#6366f1", "#ef4444", "#84cc16", "#06b6d4", "#a855f7"];

/** Fixed colours for series that mean something ("not paid" is grey). */
const NAMED: Record<string, string> = { unpaid: "#cbd2dc" };

export function colorFor(keys: string[], key: string): string {
  if (NAMED[key]) return NAMED[key];
  const i = keys.indexOf(key);
  return PALETTE[(i < 0 ? keys.length : i) % PALETTE.length];
}

/** A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least `v`. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export interface StackedBar {
  label: string;
  title: string;
  parts: { key: string; value: number }[];
}

export function StackedBars(props: {
  bars: StackedBar[];
  keys: string[];
  format: (v: number) => string;
  height?: number;
  ariaLabel: string;
}) {
  // Drawn at the container's real width, so labels stay 11 px on a phone
  // instead of shrinking with a scaled viewBox.
  const box = useRef<HTMLDivElement>(null);
  const [W, setW] = useState(720);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setW(Math.max(260, Math.round(el.clientWidth)));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const H = props.height ?? 220;
  const padL = 56;
  const padB = 24;
  const padT = 10;
  const innerW = W - padL - 8;
  const innerH = H - padB - padT;
  const totals = props.bars.map((b) => b.parts.reduce((s, p) => s + p.value, 0));
  const max = niceMax(Math.max(0, ...totals));
  const n = Math.max(props.bars.length, 1);
  const slot = innerW / n;
  const bw = Math.max(2, slot * 0.68);
  const [hover, setHover] = useState<number | null>(null);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  // About one date label per 70 px; the last bar (today) is always labelled,
  // and the regular label just before it is dropped when they would touch.
  const every = Math.max(1, Math.ceil(70 / slot));
  const labelled = (i: number) => i === n - 1 || (i % every === 0 && n - 1 - i >= every);

  return (
    <div class="chart" ref={box}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.ariaLabel}>
        {ticks.map((t) => {
          const y = padT + innerH - (t / max) * innerH;
          return (
            <g key={t}>
              <line x1={padL} x2={W - 8} y1={y} y2={y} stroke="#eef1f5" />
              <text x={padL - 8} y={y + 4} text-anchor="end">
                {props.format(t)}
              </text>
            </g>
          );
        })}
        {props.bars.map((b, i) => {
          const x = padL + i * slot + (slot - bw) / 2;
          let y = padT + innerH;
          return (
            <g key={b.label} onMouseEnter={() => setHover(i)} onMouseLeave={() => setHover(null)}>
              <rect x={padL + i * slot} y={padT} width={slot} height={innerH} fill={hover === i ? "#f3f4ff" : "transparent"} />
              {b.parts
                .filter((p) => p.value > 0)
                .map((p) => {
                  const h = (p.value / max) * innerH;
                  y -= h;
                  return <rect key={p.key} x={x} y={y} width={bw} height={Math.max(h, 0.5)} rx={1.5} fill={colorFor(props.keys, p.key)} />;
                })}
              {labelled(i) && (
                <text x={padL + i * slot + slot / 2} y={H - 6} text-anchor="middle">
                  {b.label}
                </text>
              )}
              <title>{b.title}</title>
            </g>
          );
        })}
        <line x1={padL} x2={W - 8} y1={padT + innerH} y2={padT + innerH} stroke="#d5dbe3" />
      </svg>
      {hover !== null && props.bars[hover] && <div class="muted">{props.bars[hover].title}</div>}
    </div>
  );
}

export function Donut(props: { parts: { key: string; label: string; value: number }[]; keys: string[]; center: string; sub: string }) {
  const total = props.parts.reduce((s, p) => s + p.value, 0);
  const R = 60;
  const C = 2 * Math.PI * R;
  let offset = 0;
  return (
    <div class="chart donut">
      <svg viewBox="0 0 160 160" role="img" aria-label="Share by channel">
        <circle cx="80" cy="80" r={R} fill="none" stroke="#eef1f5" stroke-width="18" />
        {total > 0 &&
          props.parts.map((p) => {
            const len = (p.value / total) * C;
            const el = (
              <circle
                key={p.key}
                cx="80"
                cy="80"
                r={R}
                fill="none"
                stroke={colorFor(props.keys, p.key)}
                stroke-width="18"
                stroke-dasharray={`${len} ${C - len}`}
                stroke-dashoffset={-offset}
                transform="rotate(-90 80 80)"
              >
                <title>{p.label}</title>
              </circle>
            );
            offset += len;
            return el;
          })}
        <text x="80" y="78" text-anchor="middle" font-size="17" font-weight="650" fill="#1a1f36">
          {props.center}
        </text>
        <text x="80" y="97" text-anchor="middle">
          {props.sub}
        </text>
      </svg>
    </div>
  );
}

/** One labelled horizontal bar per row, as an SVG rect so width needs no style. */
export function HBars(props: { rows: { key: string; label: string; ratio: number; value: string; color?: string }[] }) {
  return (
    <div>
      {props.rows.map((r) => (
        <div class="hbar" key={r.key}>
          <span>{r.label}</span>
          <svg viewBox="0 0 100 10" preserveAspectRatio="none" height="10" width="100%" aria-hidden="true">
            <rect x="0" y="0" width="100" height="10" rx="2" fill="#eef1f5" />
            <rect x="0" y="0" width={Math.max(0, Math.min(1, r.ratio)) * 100} height="10" rx="2" fill={r.color ?? "#4f46e5"} />
          </svg>
          <span class="nowrap">{r.value}</span>
        </div>
      ))}
    </div>
  );
}

export function Legend(props: { keys: string[]; labels: (k: string) => string }) {
  return (
    <div class="legend">
      {props.keys.map((k) => (
        <span key={k}>
          <svg width="10" height="10" class="swatch" aria-hidden="true">
            <rect width="10" height="10" rx="3" fill={colorFor(props.keys, k)} />
          </svg>
          {props.labels(k)}
        </span>
      ))}
    </div>
  );
}
