// Who is signed in, and which mode (test/live) the pages show.
import { createContext } from "preact";
import { useContext } from "preact/hooks";

export type Role = "operator" | "tenant";

export interface User {
  id: string;
  object: "user";
  email: string;
  role: Role;
  tenant: string | null;
  created: number;
}

export interface Session {
  object: "session";
  user: User;
  csrf_token: string;
  expires_at: number;
}

export type Mode = "test" | "live";

export interface Ctx {
  user: User;
  mode: Mode;
  setMode: (m: Mode) => void;
  signOut: () => void;
}

export const SessionContext = createContext<Ctx | null>(null);

export function useSession(): Ctx {
  const c = useContext(SessionContext);
  if (!c) throw new Error("useSession outside the signed-in shell");
  return c;
}

const MODE_KEY = "unicharge.mode";

export function storedMode(): Mode {
  try {
    return window.localStorage.getItem(MODE_KEY) === "live" ? "live" : "test";
  } catch {
    return "test";
  }
}

export function storeMode(m: Mode): void {
  try {
    window.localStorage.setItem(MODE_KEY, m);
  } catch {
    // Private mode without storage: the toggle still works for this tab.
  }
}

/** Minutes east of UTC, as the overview route wants it (China: 480). */
export function utcOffsetMinutes(): number {
  return -new Date().getTimezoneOffset();
}
