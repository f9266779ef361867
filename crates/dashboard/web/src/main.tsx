import { render } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import "./styles.css";
import { api, ApiError, setCsrfToken, setUnauthorizedHandler } from "./api";
import { Loading, ToastHost } from "./components/ui";
import { Shell } from "./shell";
import { Login } from "./pages/login";
import { currentLocation, navigate, useLocation } from "./router";
import { type Mode, type Session, SessionContext, storedMode, storeMode } from "./session";

function Root() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [mode, setModeState] = useState<Mode>(storedMode);
  const loc = useLocation();

  const signedIn = useCallback((s: Session) => {
    setCsrfToken(s.csrf_token);
    setSession(s);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      setSession(null);
    });
    api.get<Session>("/session").then(signedIn, (e) => {
      if (!(e instanceof ApiError) || e.status !== 401) console.warn("session check failed", e);
      setSession(null);
    });
  }, [signedIn]);

  const setMode = useCallback((m: Mode) => {
    storeMode(m);
    setModeState(m);
    // A detail page shows one object of one mode, and list cursors are ids
    // of the old mode: go back to the plain list.
    const { path, query } = currentLocation();
    const top = "/" + (path.split("/")[1] ?? "");
    const isDetail = path.split("/").length > 2 && !path.startsWith("/apps/");
    query.delete("starting_after");
    query.delete("ending_before");
    const q = query.toString();
    navigate((isDetail ? top : path) + (q && !isDetail ? "?" + q : ""), { replace: true });
  }, []);

  const signOut = useCallback(() => {
    api.del("/session").finally(() => {
      setCsrfToken(null);
      setSession(null);
      navigate("/login", { replace: true });
    });
  }, []);

  // Signed in on the sign-in URL (a bookmark, or the back button): go home.
  useEffect(() => {
    if (session && loc.path === "/login") navigate("/", { replace: true });
  }, [session, loc.path]);

  if (session === undefined) return <Loading />;
  if (session === null) {
    // After sign-in, come back to the page that was asked for.
    const next = loc.path === "/login" ? loc.query.get("next") ?? "/" : loc.path + window.location.search;
    return (
      <Login
        onSignedIn={(s) => {
          signedIn(s);
          navigate(next.startsWith("/") ? next : "/", { replace: true });
        }}
      />
    );
  }
  if (loc.path === "/login") return <Loading />;
  return (
    <SessionContext.Provider value={{ user: session.user, mode, setMode, signOut }}>
      <Shell />
    </SessionContext.Provider>
  );
}

function Main() {
  return (
    <>
      <Root />
      <ToastHost />
    </>
  );
}

const mount = document.getElementById("app");
if (mount) render(<Main />, mount);
