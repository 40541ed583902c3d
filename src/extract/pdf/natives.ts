/**
 * pdf.js's "legacy" build (the one pdf-parse loads, needed on Node 20) bundles core-js, which
 * on Node 20 *replaces* some built-ins process-wide with JavaScript polyfills for spec edge
 * cases: `Array.prototype.push` (the length > 2^32 error case), `JSON.parse` (the
 * source-text-access proposal) and `Function.prototype.toString`. The push polyfill alone was
 * ~8% of extraction time, and it slows every array push in the whole process.
 *
 * This module must be imported before pdf-parse: it keeps the native functions, and
 * `restoreNatives()` puts them back once pdf.js (including its worker bundle, which brings
 * its own core-js copy) has loaded. Methods core-js *adds* (Promise.withResolvers, Iterator
 * helpers, Uint8Array.toHex …) are left alone: pdf.js needs those on Node 20.
 */
const natives = {
  push: Array.prototype.push,
  parse: JSON.parse,
  toString: Function.prototype.toString,
};

export function restoreNatives(): void {
  if (Array.prototype.push !== natives.push) {
    Object.defineProperty(Array.prototype, "push", { value: natives.push, writable: true, configurable: true });
  }
  if (JSON.parse !== natives.parse) {
    Object.defineProperty(JSON, "parse", { value: natives.parse, writable: true, configurable: true });
  }
  if (Function.prototype.toString !== natives.toString) {
    Object.defineProperty(Function.prototype, "toString", { value: natives.toString, writable: true, configurable: true });
  }
}
