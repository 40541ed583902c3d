/** The goals the figures are held against, read from the sections' metrics at the end of a run. */

export interface TargetResult {
  value: number;
  unit: string;
  /** Null for a figure that is reported without a pass/fail goal. */
  pass: boolean | null;
}

export interface Target {
  id: string;
  label: string;
  goal: string;
  /** Undefined when the run lacks the metrics (section not selected or skipped). */
  evaluate(metrics: ReadonlyMap<string, number>): TargetResult | undefined;
}

export const TARGETS: readonly Target[] = [
  {
    id: "queue-overhead",
    label: "queue overhead: throughput lost through Redis + BullMQ",
    goal: "< 10%",
    evaluate: (m) => {
      const v = m.get("queue.overheadShare");
      return v === undefined ? undefined : { value: v * 100, unit: "%", pass: v < 0.1 };
    },
  },
  {
    id: "scale-worker-rss",
    label: "worker peak RSS over the scale run",
    goal: "≤ 300 MB",
    evaluate: (m) => {
      const v = m.get("scale.workerPeakRssMb");
      return v === undefined ? undefined : { value: v, unit: "MB", pass: v <= 300 };
    },
  },
  {
    id: "pdf-vs-pdftotext",
    label: "nianbao PDF end-to-end / pdftotext per document (mean)",
    goal: "≤ 3×",
    evaluate: (m) => {
      const r = m.get("pdf.vsPdftotextMean");
      return r === undefined ? undefined : { value: r, unit: "×", pass: r <= 3 };
    },
  },
  {
    id: "cpu-batch",
    label: "CPU of nianbao extract over the corpus PDFs / a pdftotext loop (processes)",
    goal: "≤ 5×",
    evaluate: (m) => {
      const r = m.get("cpu.batchVsPdftotext");
      return r === undefined ? undefined : { value: r, unit: "×", pass: r <= 5 };
    },
  },
  {
    id: "cpu-single",
    label: "CPU of nianbao extract on one PDF (the whole process)",
    goal: "≤ 0.5 s",
    evaluate: (m) => {
      const v = m.get("cpu.singleSeconds");
      return v === undefined ? undefined : { value: v, unit: "s", pass: v <= 0.5 };
    },
  },
  {
    id: "reconstruct-ms",
    label: "reconstruct-only, ms per document per core (mean)",
    goal: "≤ 4 ms",
    evaluate: (m) => {
      const v = m.get("reconstruct.meanMs");
      return v === undefined ? undefined : { value: v, unit: "ms", pass: v <= 4 };
    },
  },
  {
    id: "bounded-digit-runs",
    label: "reconstruct of a text whose table-三 rows hold 23–40-digit runs (slowest)",
    goal: "≤ 2,000 ms",
    evaluate: (m) => {
      const v = m.get("bounded.digitRowsMaxMs");
      return v === undefined ? undefined : { value: v, unit: "ms", pass: v <= 2000 };
    },
  },
  {
    id: "bounded-repeated-rows",
    label: "reconstruct of 20,000 repeated table rows",
    goal: "≤ 5,000 ms",
    evaluate: (m) => {
      const v = m.get("bounded.repeatedRowsMs");
      return v === undefined ? undefined : { value: v, unit: "ms", pass: v <= 5000 };
    },
  },
  {
    id: "bounded-growth",
    label: "reconstruct time of 4 MB of repeated rows ÷ 1 MB (linear: about 4)",
    goal: "≤ 5×",
    evaluate: (m) => {
      const v = m.get("bounded.growth4to1");
      return v === undefined ? undefined : { value: v, unit: "×", pass: v <= 5 };
    },
  },
  {
    id: "scanned-cpu-per-page",
    label: "OCR of a scanned page, CPU of the whole process tree (median)",
    goal: "≤ 3 s",
    evaluate: (m) => {
      const v = m.get("scanned.cpuPerPageMedian");
      return v === undefined ? undefined : { value: v, unit: "s", pass: v <= 3 };
    },
  },
  {
    id: "peak-rss",
    label: "peak RSS of one in-process worker, per-format run",
    goal: "report (no goal set)",
    evaluate: (m) => {
      const v = m.get("memory.osMaxRssMb");
      return v === undefined ? undefined : { value: v, unit: "MB", pass: null };
    },
  },
  {
    id: "no-leak",
    label: "heap growth after GC over the PDF loop",
    goal: "< 10 MB",
    evaluate: (m) => {
      const v = m.get("leak.heapGrowthMb");
      return v === undefined ? undefined : { value: v, unit: "MB", pass: v < 10 };
    },
  },
];
