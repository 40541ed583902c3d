/**
 * The whole pipeline (sniff → real extractor → reconstruct → validate) on every document of
 * the test corpus, compared cell by cell with its expected answer.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { processBytes } from "../src/process.js";
import { cases, score } from "./support/corpus.js";

/**
 * 2019 cases whose expected file gives a unit for 采购总金额 (元 or 万元) that the document does
 * not print anywhere (checked: no 元 in the text of the rendering). The spec says amountUnit
 * is null when none is printed, and nianbao gives null: it does not guess a unit.
 */
const UNIT_NOT_PRINTED = new Set(["s002", "s004", "s010", "s013", "s018", "s022", "s025", "s027", "s035", "s039", "s040"]);

describe.each(["seed", "synthetic"])("corpus %s: every cell exact", (folder) => {
  for (const c of cases(folder)) {
    it(`${c.name} (${basename(c.input)})`, async () => {
      const env = await processBytes(readFileSync(c.input), { fileName: basename(c.input) });
      const s = score(c.expected, env);
      expect(s.diffs).toEqual([]);
      const fieldDiffs = s.fieldDiffs.filter((d) => !(UNIT_NOT_PRINTED.has(c.name) && d.startsWith("proactive.procurement.amountUnit")));
      expect(fieldDiffs).toEqual([]);
      if (UNIT_NOT_PRINTED.has(c.name)) expect((env.report.proactive as { procurement: { amountUnit: unknown } }).procurement.amountUnit).toBe(null);
      expect(env.validation.status).toBe(c.expected.expectedStatus);
      expect(s.statusOk).toBe(true);
    });
  }
});

describe("corpus real: at least 95% of present cells, and never silently wrong", () => {
  for (const c of cases("real")) {
    it(`${c.name} (${basename(c.input)})`, async () => {
      const env = await processBytes(readFileSync(c.input), { fileName: basename(c.input) });
      const s = score(c.expected, env);
      expect(s.silentWrong).toBe(false);
      expect(s.exact / s.cells, s.diffs.slice(0, 10).join("\n")).toBeGreaterThanOrEqual(0.95);
    });
  }
});

describe("corpus glued: page text with the cells run together", () => {
  for (const c of cases("glued")) {
    it(`${c.name}: every cell its value or, where the digits allow several readings, null`, async () => {
      const env = await processBytes(readFileSync(c.input), { fileName: basename(c.input) });
      const s = score(c.expected, env);
      expect(s.diffs).toEqual([]);
      expect(s.wrongValues).toEqual([]);
      expect(s.fieldDiffs).toEqual([]);
      expect(s.statusOk, env.validation.status).toBe(true);
      expect(env.validation.findings.some((f) => f.rule === "T9")).toBe(true);
    });
  }
});

