/**
 * Text from uploads (file names, object keys, failure reasons quoting them) on one line of a
 * terminal or a log: control characters (newline, carriage return, escape…), line and
 * paragraph separators and bidirectional overrides are written as escapes (`\n`, `\u{1b}`), and
 * a backslash as `\\`, so a file name cannot start a line of its own, move the cursor or
 * reverse the text, and every escape reads back one way.
 */
const UNSAFE = /[\\\p{Cc}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
const NAMED: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

export function printable(s: string): string {
  return s.replace(UNSAFE, (c) => NAMED[c] ?? `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
}
