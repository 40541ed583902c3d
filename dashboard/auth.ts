/**
 * Authentication of the dashboard: HTTP basic auth (DASHBOARD_USER + DASHBOARD_PASSWORD) and/or
 * a bearer token (DASHBOARD_TOKEN), compared in constant time. Without any credentials the
 * dashboard only runs on a loopback address (checkBinding), and then only answers requests
 * whose Host is a loopback name, so a web page cannot reach it through DNS rebinding.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, RequestHandler, Response } from "express";

export interface Credentials {
  user?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
  /**
   * The admin credential (DASHBOARD_ADMIN_USER + DASHBOARD_ADMIN_PASSWORD, and/or
   * DASHBOARD_ADMIN_TOKEN): it also lets in, and only it may change anything (bull-board's
   * retry, add, clean, pause…, when DASHBOARD_READONLY=false).
   */
  admin?: { user?: string | undefined; password?: string | undefined; token?: string | undefined } | undefined;
}

/** Who a request was let in as: only "admin" may change anything. */
export type Role = "viewer" | "admin";

/** How a request was let in; the CSRF check trusts a bearer token (browsers never add one by themselves). */
export type AuthMethod = "basic" | "bearer" | "none";

/** Why the dashboard will not start, with the exit code of the command. */
export class DashboardStartError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = "DashboardStartError";
  }
}

type Pair = Pick<Credentials, "user" | "password" | "token">;
const hasBasic = (c: Pair) => Boolean(c.user && c.password);
const hasToken = (c: Pair) => Boolean(c.token);
export const hasCredentials = (c: Credentials) => hasBasic(c) || hasToken(c);
export const hasAdmin = (c: Credentials) => Boolean(c.admin && (hasBasic(c.admin) || hasToken(c.admin)));

/** Compares two secrets in constant time: both are hashed first, so their lengths leak nothing. */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

/** 127.0.0.0/8, ::1, localhost (and the same in IPv4-mapped or bracketed form). */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost") || h === "::1") return true;
  const v4 = h.replace(/^::ffff:/, "");
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Refuses a configuration that would expose the dashboard without credentials, saying why. */
export function checkBinding(host: string, port: number, c: Credentials): void {
  if (Boolean(c.user) !== Boolean(c.password)) {
    throw new DashboardStartError(
      `dashboard: ${c.user ? "DASHBOARD_USER is set but DASHBOARD_PASSWORD is not" : "DASHBOARD_PASSWORD is set but DASHBOARD_USER is not"}; set both for basic auth`,
    );
  }
  if (c.user?.includes(":")) throw new DashboardStartError("dashboard: DASHBOARD_USER must not contain ':' (basic auth splits on it)");
  const a = c.admin ?? {};
  if (Boolean(a.user) !== Boolean(a.password)) {
    throw new DashboardStartError("dashboard: set both DASHBOARD_ADMIN_USER and DASHBOARD_ADMIN_PASSWORD, or neither");
  }
  if (a.user?.includes(":")) throw new DashboardStartError("dashboard: DASHBOARD_ADMIN_USER must not contain ':' (basic auth splits on it)");
  if (hasAdmin(c) && !hasCredentials(c)) {
    throw new DashboardStartError("dashboard: an admin credential needs the ordinary one too (DASHBOARD_USER and DASHBOARD_PASSWORD, or DASHBOARD_TOKEN)");
  }
  if ((a.user && a.user === c.user) || (a.token && a.token === c.token) || (a.password && a.password === c.password)) {
    throw new DashboardStartError("dashboard: the admin credential must differ from the ordinary one (DASHBOARD_ADMIN_* against DASHBOARD_USER, _PASSWORD, _TOKEN)");
  }
  if (!isLoopback(host) && !hasCredentials(c)) {
    throw new DashboardStartError(
      `dashboard: refusing to listen on ${host}:${port} without credentials: that address is reachable from other machines. ` +
        "Set DASHBOARD_USER and DASHBOARD_PASSWORD (basic auth) or DASHBOARD_TOKEN (bearer), or listen on 127.0.0.1 (DASHBOARD_HOST).",
    );
  }
}

/** The hostname of a Host header (`[::1]:8080` → `::1`). */
function hostnameOf(hostHeader: string): string {
  const m = /^\[([^\]]*)\](?::\d+)?$/.exec(hostHeader);
  return m ? (m[1] ?? "") : (hostHeader.split(":")[0] ?? "");
}

function challenge(res: Response, c: Credentials): void {
  // Basic first: it makes a browser ask for a user name and password.
  if (hasBasic(c)) res.append("WWW-Authenticate", 'Basic realm="nianbao dashboard", charset="UTF-8"');
  if (hasToken(c)) res.append("WWW-Authenticate", 'Bearer realm="nianbao dashboard"');
  res.status(401).type("text/plain").send("authentication required\n");
}

/**
 * Checks the Authorization header; sets res.locals.auth to the method that let the request in,
 * and res.locals.role to "admin" for the admin credential, "viewer" otherwise.
 */
export function authenticate(c: Credentials): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!hasCredentials(c)) {
      // Open on loopback only: refuse other Host names (DNS rebinding).
      if (!isLoopback(hostnameOf(req.get("host") ?? ""))) {
        res.status(403).type("text/plain").send("this dashboard has no credentials and only answers on a loopback host name\n");
        return;
      }
      res.locals["auth"] = "none" satisfies AuthMethod;
      res.locals["role"] = "viewer" satisfies Role;
      next();
      return;
    }
    // `<scheme> <credentials>` and nothing more: `Bearer <token> junk` is refused, not read
    // as `Bearer <token>` (RFC 9110: one token68 after the scheme).
    const m = /^(\S+) +(\S+)$/.exec(req.get("authorization") ?? "");
    const scheme = m?.[1] ?? "";
    const value = m?.[2] ?? "";
    const admin = c.admin ?? {};
    let role: Role | null = null;
    let method: AuthMethod | null = null;
    if (scheme.toLowerCase() === "basic" && (hasBasic(c) || hasBasic(admin))) {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const user = colon < 0 ? decoded : decoded.slice(0, colon);
      const password = colon < 0 ? "" : decoded.slice(colon + 1);
      // both compared every time, so a right user name with a wrong password takes as long as a wrong one
      const matches = (p: Pair) => {
        const userOk = safeEqual(user, p.user ?? "");
        const passwordOk = safeEqual(password, p.password ?? "");
        return hasBasic(p) && userOk && passwordOk;
      };
      const isAdmin = matches(admin);
      const isViewer = matches(c);
      role = isAdmin ? "admin" : isViewer ? "viewer" : null;
      method = "basic";
    } else if (scheme.toLowerCase() === "bearer" && value !== "" && (hasToken(c) || hasToken(admin))) {
      const isAdmin = hasToken(admin) && safeEqual(value, admin.token ?? "");
      const isViewer = hasToken(c) && safeEqual(value, c.token ?? "");
      role = isAdmin ? "admin" : isViewer ? "viewer" : null;
      method = "bearer";
    }
    if (role !== null && method !== null) {
      res.locals["auth"] = method satisfies AuthMethod;
      res.locals["role"] = role satisfies Role;
      next();
      return;
    }
    challenge(res, c);
  };
}
