/**
 * Every failure code, in one place: its exit status, its one-line meaning (the `--help` text
 * and the README table say the same), and whether it is a fault of the file (unrecoverable:
 * retrying cannot help, the job fails at once) or not (transient, or not about the file).
 *
 * The code travels with the error (FailureError and its subclass RefusalError carry it). Across
 * BullMQ, which keeps only a job's `failedReason` string, it travels as a prefix:
 * `<code>: <message>` (failedReasonOf writes it, parseFailedReason reads it back; nothing else
 * may take a code out of a message).
 */

export interface FailureDef {
  /**
   * The exit status of a command that fails with this code, or null for a code only a pipeline
   * job fails with (no command exits with it: the original changed or went missing).
   */
  exit: number | null;
  /** A fault of the file itself: retrying cannot help (the job fails at once, unrecoverable). */
  fileFault: boolean;
  /** One line, for `--help`, the README and the dashboard. */
  meaning: string;
}

/** The failure codes (README "CLI", exit codes; "The pipeline", failures). Exit statuses must not change. */
export const FAILURES = {
  internal: { exit: 1, fileFault: false, meaning: "internal error (a bug: please report it with the file)" },
  usage: { exit: 2, fileFault: false, meaning: "usage error" },
  "unsupported-type": { exit: 3, fileFault: true, meaning: "not a PDF, Word, HTML or text file (an image, a spreadsheet, random bytes)" },
  corrupt: { exit: 4, fileFault: true, meaning: "the file is damaged, truncated, empty, or a .docx without its document part" },
  encrypted: { exit: 5, fileFault: true, meaning: "a password-protected PDF or Word file" },
  "no-text-layer": { exit: 6, fileFault: true, meaning: "a scanned PDF with no text to read" },
  "not-a-report": { exit: 7, fileFault: true, meaning: "readable, but not a disclosure report" },
  "too-large": { exit: 8, fileFault: true, meaning: "over a size limit (file bytes, expanded archive size, pages, characters of text)" },
  unreadable: { exit: 9, fileFault: true, meaning: "the file could not be read from disk" },
  "queue-unavailable": { exit: 10, fileFault: false, meaning: "Redis (the queues) cannot be reached" },
  timeout: { exit: 11, fileFault: true, meaning: "parsing, or reconstructing and validating, took longer than JOB_TIMEOUT_MS" },
  crashed: { exit: 12, fileFault: true, meaning: "the parser thread died on the file, e.g. over PARSER_MEMORY_MB" },
  changed: { exit: null, fileFault: true, meaning: "the original changed since it was enqueued (a pipeline job only)" },
  missing: { exit: null, fileFault: true, meaning: "the original is gone from the bucket (a pipeline job only)" },
  "outside-bucket": {
    exit: null,
    fileFault: true,
    meaning: "the job names a file outside its upload bucket (after symbolic links), or a hard-linked one: nothing is read (a pipeline job only)",
  },
} as const satisfies Record<string, FailureDef>;

export type FailureCode = keyof typeof FAILURES;

/** The codes a file fault can have: the job fails at once, and the failure is recorded. */
export type FileFaultCode = { [C in FailureCode]: (typeof FAILURES)[C]["fileFault"] extends true ? C : never }[FailureCode];

/** Codes of a refusal by the core (sniff, extract, reconstruct): the file itself is the problem. */
export type RefusalCode = "unsupported-type" | "corrupt" | "encrypted" | "no-text-layer" | "not-a-report" | "too-large";

/** The exit status of a successful command (a model was produced, even an invalid one). */
export const EXIT_OK = 0;

export const FAILURE_CODES = Object.keys(FAILURES) as FailureCode[];

export function isFailureCode(s: unknown): s is FailureCode {
  return typeof s === "string" && Object.hasOwn(FAILURES, s);
}

export function isFileFault(code: FailureCode): code is FileFaultCode {
  return FAILURES[code].fileFault;
}

/** The exit status of a code that has one (internal's, 1, for the job-only codes). */
export function exitStatus(code: FailureCode): number {
  return FAILURES[code].exit ?? FAILURES.internal.exit;
}

/** An error carrying its failure code. */
export class FailureError extends Error {
  readonly code: FailureCode;
  constructor(code: FailureCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "FailureError";
    this.code = code;
  }
}

/**
 * Thrown by sniffing, extraction and reconstruction when the input itself is bad. The queue
 * adapters turn it into an unrecoverable job failure with the code kept on the job; the CLI
 * turns it into its exit status and a one-line reason.
 */
export class RefusalError extends FailureError {
  declare readonly code: RefusalCode;
  constructor(code: RefusalCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "RefusalError";
  }
}

export function isRefusal(e: unknown): e is RefusalError {
  return e instanceof RefusalError;
}

/** The code an error carries: its own, or "internal" for any other error (a bug, or transient). */
export function codeOf(e: unknown): FailureCode {
  return e instanceof FailureError ? e.code : "internal";
}

// ------------------------------------------------------------------------ across BullMQ
const SEPARATOR = ": ";

/** A job's failedReason for a failure with this code: `<code>: <message>`. */
export function failedReasonOf(code: FailureCode, message: string): string {
  return `${code}${SEPARATOR}${message}`;
}

/**
 * The code and message of a job's failedReason, as failedReasonOf wrote them. A reason
 * without a known code in front (an error thrown by anything else: a bug, the store down) is
 * "internal", with the whole reason as its message.
 */
export function parseFailedReason(failedReason: string | undefined | null): { code: FailureCode; message: string } {
  const reason = failedReason ?? "";
  const at = reason.indexOf(SEPARATOR);
  const code = at > 0 ? reason.slice(0, at) : "";
  if (isFailureCode(code)) return { code, message: reason.slice(at + SEPARATOR.length) };
  return { code: "internal", message: reason };
}

/** A code read back from storage (a failure record): an unknown one reads as "internal". */
export function failureCodeOf(stored: string): FailureCode {
  return isFailureCode(stored) ? stored : "internal";
}
