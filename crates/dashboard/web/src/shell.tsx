// The signed-in layout: sidebar navigation, the test/live toggle, and the
// page for the current route.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Empty, Link } from "./components/ui";
import { match, useLocation } from "./router";
import { useSession } from "./session";
import { Overview } from "./pages/overview";
import { Charges } from "./pages/charges";
import { ChargeDetailPage } from "./pages/charge-detail";
import { Refunds, RefundDetailPage } from "./pages/refunds";
import { Events, EventDetailPage } from "./pages/events";
import { Apps, AppDetailPage } from "./pages/apps";
import { Keys } from "./pages/keys";
import { Sandbox } from "./pages/sandbox";
import { Team } from "./pages/team";

const ICONS: Record<string, string> = {
  overview: "M3 13h4v8H3zM10 8h4v13h-4zM17 3h4v18h-4z",
  charges: "M3 6h18v12H3zM3 10h18M7 15h3",
  refunds: "M9 14L4 9l5-5M4 9h11a5 5 0 0 1 0 10h-3",
  events: "M4 12h4l3-8 4 16 3-8h2",
  apps: "M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z",
  keys: "M15 7a4 4 0 1 1-3.9 5H3v3h3v3h3v-3h2.1A4 4 0 0 1 15 7z",
  sandbox: "M9 3h6M10 3v6L4 20h16L14 9V3",
  team: "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21a7 7 0 0 1 14 0M17 11a3 3 0 1 0 0-6M22 21a6 6 0 0 0-4-5.6",
};

function Icon(props: { name: string }) {
  return (
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      <path d={ICONS[props.name]} />
    </svg>
  );
}

function NavLink(props: { href: string; icon: string; children: ComponentChildren; path: string }) {
  const active = props.href === "/" ? props.path === "/" : props.path === props.href || props.path.startsWith(props.href + "/");
  return (
    <Link href={props.href} class={active ? "active" : ""}>
      <Icon name={props.icon} />
      {props.children}
    </Link>
  );
}

export function ModeToggle() {
  const { mode, setMode } = useSession();
  return (
    <div class="mode-toggle" role="group" aria-label="Data mode">
      <button type="button" class="test" aria-pressed={mode === "test"} onClick={() => setMode("test")}>
        Test
      </button>
      <button type="button" class="live" aria-pressed={mode === "live"} onClick={() => setMode("live")}>
        Live
      </button>
    </div>
  );
}

function Page(props: { path: string }) {
  const p = props.path;
  let m: Record<string, string> | null;
  if (p === "/") return <Overview />;
  if (p === "/charges") return <Charges />;
  if ((m = match("/charges/:id", p))) return <ChargeDetailPage id={m.id} />;
  if (p === "/refunds") return <Refunds />;
  if ((m = match("/refunds/:id", p))) return <RefundDetailPage id={m.id} />;
  if (p === "/events") return <Events />;
  if ((m = match("/events/:id", p))) return <EventDetailPage id={m.id} />;
  if (p === "/apps") return <Apps />;
  if ((m = match("/apps/:id", p))) return <AppDetailPage id={m.id} tab="webhooks" />;
  if ((m = match("/apps/:id/:tab", p))) return <AppDetailPage id={m.id} tab={m.tab} />;
  if (p === "/keys") return <Keys />;
  if (p === "/sandbox") return <Sandbox />;
  if (p === "/team") return <Team />;
  return (
    <Empty title="There is no page here" actions={<Link href="/" class="btn">Go to the overview</Link>}>
      The address may be mistyped, or the page was moved.
    </Empty>
  );
}

export function Shell() {
  const { user, mode, signOut } = useSession();
  const loc = useLocation();
  const [navOpen, setNavOpen] = useState(false);
  useEffect(() => setNavOpen(false), [loc.path]);
  const operator = user.role === "operator";

  return (
    <div class={`shell ${navOpen ? "nav-open" : ""}`} onClick={(e) => navOpen && e.target === e.currentTarget && setNavOpen(false)}>
      <aside class="sidebar">
        <div class="brand">
          <span class="logo">U</span> Unicharge
        </div>
        <nav class="nav" aria-label="Main">
          <NavLink href="/" icon="overview" path={loc.path}>Overview</NavLink>
          <NavLink href="/charges" icon="charges" path={loc.path}>Charges</NavLink>
          <NavLink href="/refunds" icon="refunds" path={loc.path}>Refunds</NavLink>
          <NavLink href="/events" icon="events" path={loc.path}>Events &amp; webhooks</NavLink>
          <div class="nav-section">Developers</div>
          <NavLink href="/apps" icon="apps" path={loc.path}>Apps</NavLink>
          <NavLink href="/keys" icon="keys" path={loc.path}>API keys</NavLink>
          {mode === "test" && (
            <NavLink href="/sandbox" icon="sandbox" path={loc.path}>Sandbox</NavLink>
          )}
          {operator && (
            <>
              <div class="nav-section">Operator</div>
              <NavLink href="/team" icon="team" path={loc.path}>Tenants &amp; users</NavLink>
            </>
          )}
        </nav>
        <div class="foot">
          <div class="who" data-testid="whoami">{user.email}</div>
          <div>{operator ? "Operator · all tenants" : `Tenant ${user.tenant ?? ""}`}</div>
          <button type="button" class="btn small" onClick={signOut}>
            Sign out
          </button>
        </div>
      </aside>
      <div class="main">
        {mode === "test" && <div class="test-banner">Test mode: you are viewing test data</div>}
        <header class="topbar">
          <button type="button" class="btn small menu" aria-label="Open navigation" onClick={() => setNavOpen(true)}>
            ☰
          </button>
          <div class="grow" />
          <ModeToggle />
        </header>
        <main class="content">
          <Page path={loc.path} />
        </main>
      </div>
    </div>
  );
}
