/**
 * Whether the parser thread's bundle (scripts/bundle-thread.mjs) still holds the code it was
 * built from. `npm run build` compiles with tsc and then bundles; `tsc` alone, or `tsc --watch`,
 * changes the modules and leaves the bundle as it was, and a thread running it would run the old
 * code without a word. The build writes the list of compiled files the bundle holds beside it
 * (`<bundle>.inputs.json`, paths from the bundle's folder); the bundle is current when each of
 * them is still there and none is newer than the bundle. Only files the build compiles are
 * listed: installed packages keep the times their archives gave them, and pdf.js's version is
 * checked on its own (src/extract/pdf/pdfjs.ts).
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";

export type BundleState = { current: true } | { current: false; reason: string };

/** The file beside `bundle` listing what it was built from. */
export const inputsFile = (bundle: string): string => `${bundle}.inputs.json`;

export function bundleState(bundle: string): BundleState {
  const built = statSync(bundle, { throwIfNoEntry: false });
  if (!built) return { current: false, reason: `${bundle} is missing` };
  let inputs: unknown;
  try {
    inputs = (JSON.parse(readFileSync(inputsFile(bundle), "utf8")) as { inputs?: unknown }).inputs;
  } catch {
    return { current: false, reason: `${inputsFile(bundle)} is missing or unreadable` };
  }
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((i): i is string => typeof i === "string")) {
    return { current: false, reason: `${inputsFile(bundle)} lists no files` };
  }
  const dir = path.dirname(bundle);
  for (const rel of inputs) {
    const file = path.resolve(dir, rel);
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st) return { current: false, reason: `${file}, which it was built from, is gone` };
    if (st.mtimeMs > built.mtimeMs) return { current: false, reason: `${file} is newer than it` };
  }
  return { current: true };
}
