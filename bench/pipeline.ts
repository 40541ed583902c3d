/** One document through the core, timed: extract (sniff + extract) then reconstruct + validate. */
import { RefusalError } from "../src/document.js";
import { buildEnvelope, extractBytes } from "../src/process.js";
import type { CorpusDocument } from "./corpus.js";

export interface PipelineTiming {
  /** extract + reconstruct + validate, wall clock. */
  totalMs: number;
  extractMs: number;
  /** buildEnvelope: reconstruct + validate + envelope schema check. */
  buildMs: number;
  /** CPU time of the whole process meanwhile (all threads, so GC helper threads count). */
  cpuMs: number;
  /** The refusal code when the core refused the document (a normal outcome, still timed). */
  refused: string | null;
}

export async function timePipeline(doc: CorpusDocument): Promise<PipelineTiming> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let t1 = t0;
  let refused: string | null = null;
  try {
    const extraction = await extractBytes(doc.bytes, { fileName: doc.fileName });
    t1 = performance.now();
    buildEnvelope(extraction);
  } catch (e) {
    if (!(e instanceof RefusalError)) throw new Error(`${doc.id}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    if (t1 === t0) t1 = performance.now();
    refused = e.code;
  }
  const t2 = performance.now();
  const cpu = process.cpuUsage(c0);
  return { totalMs: t2 - t0, extractMs: t1 - t0, buildMs: t2 - t1, cpuMs: (cpu.user + cpu.system) / 1000, refused };
}
