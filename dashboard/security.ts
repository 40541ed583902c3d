/**
 * Security middleware: response headers (CSP and friends), the CSRF check of mutating
 * requests, the read-only guard, and the error handler that never shows a stack trace.
 *
 * CSRF: the only mutating routes are bull-board's POST/PUT/PATCH/DELETE under /queues, which
 * its UI calls with fetch(). Browsers send the Origin header on every such request (and on
 * every cross-site form post), so a mutating request must carry an Origin, or failing that a
 * Referer, whose host is this server's Host. A request with neither is refused unless it
 * authenticated with the bearer token, which a browser never adds by itself (curl, scripts).
 * No token to keep in a cookie or a page, and bull-board's UI works unchanged.
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";
import type { Logger } from "pino";
import type { AuthMethod, Role } from "./auth.js";

const BASE_CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
];

/** The results pages: no script at all, styles from our own stylesheet only. */
export const PAGE_CSP = [...BASE_CSP, "script-src 'none'", "style-src 'self'"].join("; ");
/**
 * bull-board's UI: its own scripts and stylesheet, plus the inline style attributes of its
 * loading placeholder. Its link to a web font host is blocked: the dashboard makes no
 * third-party requests, and the UI falls back to local fonts.
 */
export const QUEUES_CSP = [...BASE_CSP, "script-src 'self'", "style-src 'self' 'unsafe-inline'"].join("; ");

export function securityHeaders(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    res.set({
      "Content-Security-Policy": req.path.startsWith("/queues") ? QUEUES_CSP : PAGE_CSP,
      "X-Content-Type-Options": "nosniff",
      "X-Frame-Options": "DENY",
      "Referrer-Policy": "same-origin",
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Resource-Policy": "same-origin",
      // Pages show report data behind a login: never keep them in a shared cache.
      "Cache-Control": "no-store",
    });
    next();
  };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function hostOf(url: string): string | null {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return null;
  }
}

/** The same-origin check of mutating requests (see the file comment). */
export function csrfGuard(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const host = (req.get("host") ?? "").toLowerCase();
    const origin = req.get("origin");
    const referer = req.get("referer");
    const claimed = origin !== undefined && origin !== "null" ? origin : referer;
    if (req.get("sec-fetch-site") === "cross-site" || origin === "null") return refuse(res, "cross-site request refused");
    if (claimed === undefined) {
      if ((res.locals["auth"] as AuthMethod | undefined) === "bearer") return next();
      return refuse(res, "request refused: a change needs an Origin or Referer header of this site, or the bearer token");
    }
    if (hostOf(claimed) !== host) return refuse(res, "cross-site request refused: Origin does not match this site");
    next();
  };
}

function refuse(res: Response, message: string): void {
  res.status(403).type("text/plain").send(`${message}\n`);
}

/**
 * Read-only mode (the default): nothing but reads reaches bull-board (it hides the buttons,
 * this refuses the calls). Otherwise a change still needs the admin credential.
 */
export function readOnlyGuard(readOnly: boolean): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method)) return next();
    if (readOnly) {
      res.status(403).type("text/plain").send("the dashboard is read-only (DASHBOARD_READONLY)\n");
      return;
    }
    if ((res.locals["role"] as Role | undefined) === "admin") return next();
    res.status(403).type("text/plain").send("a change needs the admin credential (DASHBOARD_ADMIN_USER and _PASSWORD, or DASHBOARD_ADMIN_TOKEN)\n");
  };
}

/** An error that carries the status to answer with, and a message safe to show. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export function notFound(): RequestHandler {
  return (_req: Request, res: Response) => {
    res.status(404).type("text/plain").send("not found\n");
  };
}

/** Logs the error; the client gets a plain message (HttpError's own, or a generic one), never a stack. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof HttpError) {
      res.status(err.status).type("text/plain").send(`${err.message}\n`);
      return;
    }
    // body-parser errors (bad JSON sent to bull-board) carry a 4xx status and a harmless type
    const status = typeof (err as { status?: unknown }).status === "number" ? (err as { status: number }).status : 500;
    if (status >= 400 && status < 500) {
      res.status(status).type("text/plain").send("bad request\n");
      return;
    }
    log.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err), path: req.path }, "dashboard request failed");
    res.status(500).type("text/plain").send("internal error\n");
  };
}
