/**
 * Dev tool: time extractPdf per file after warm-up (median of N runs, one process).
 *   npx tsc -p scripts/tsconfig.dev.json && node dist/dev-scripts/scripts/bench-pdf.js N FILE.pdf…
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { extractPdf } from "../src/extract/pdf.js";

async function main(): Promise<void> {
  const [nArg, ...files] = process.argv.slice(2);
  const n = Number(nArg);
  const inputs = files.map((f) => ({ f, bytes: new Uint8Array(readFileSync(f)) }));
  const opts = { maxPages: 500, maxExpandedBytes: 1 << 28 };
  const w0 = performance.now();
  await extractPdf(inputs[0]!.bytes, opts);
  console.log(`first document (warm-up): ${(performance.now() - w0).toFixed(0)} ms`);
  for (const { bytes } of inputs) await extractPdf(bytes, opts);
  let all = 0;
  for (const { f, bytes } of inputs) {
    const times: number[] = [];
    const cpu: number[] = [];
    let pages = 0;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const doc = await extractPdf(bytes, opts);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
      times.push(performance.now() - t0);
      pages = doc.pages ?? 0;
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const med = times[Math.floor(times.length / 2)]!;
    all += med;
    console.log(`${path.basename(f).padEnd(18)} ${pages} pages  median ${med.toFixed(0)} ms  min ${times[0]!.toFixed(0)} ms  cpu median ${cpu[Math.floor(n / 2)]!.toFixed(0)} ms`);
  }
  console.log(`sum of medians ${all.toFixed(0)} ms; rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
