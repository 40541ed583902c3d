/**
 * The OCR reader (src/extract/ocr/) on a scanned copy of a synthetic report: JPEG pages, no
 * text layer. It runs by default where its packages are installed (NIANBAO_OCR=0 switches it
 * off): what it reads must be right or null, never another number. Needs Debian's tesseract-ocr, tesseract-ocr-chi-sim and
 * poppler-utils (.ci/services.sh installs them).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRefusal } from "../src/document.js";
import { findPixelTables, ruleSkewDegrees } from "../src/extract/ocr/grid.js";
import { otsu, parsePnm, rotate, skewDegrees, type Gray } from "../src/extract/ocr/image.js";
import { agreedNumber, settledNumber } from "../src/extract/ocr/digits.js";
import { ocrAvailable } from "../src/extract/ocr/index.js";
import { buildPdf } from "./support/pdf.js";
import { buildEnvelope, extractBytes, processBytes } from "../src/process.js";
import { CORPUS, cases, score } from "./support/corpus.js";
import { CLI } from "./support/pipeline.js";

const scan = cases("scanned").find((c) => c.name === "c001");
if (!scan) throw new Error("test/fixtures/corpus/scanned/c001 is missing");

/** The default for the tests of the enclosing describe block: NIANBAO_OCR not set, OCR on. */
function ocrByDefault() {
  const before = process.env["NIANBAO_OCR"];
  beforeAll(() => {
    delete process.env["NIANBAO_OCR"];
  });
  afterAll(() => {
    if (before === undefined) delete process.env["NIANBAO_OCR"];
    else process.env["NIANBAO_OCR"] = before;
  });
}

// The OCR reads spend their time in Tesseract's processes: the scans are read at the same time,
// one per core and more (NIANBAO_OCR=0 is tried after them: it changes the environment).
describe.concurrent("a scanned report, read by OCR", () => {
  ocrByDefault();

  it("has Tesseract with chi_sim and pdftoppm installed", () => {
    expect(ocrAvailable()).toBe(true);
  });

  it("reads the identity and the cells it is sure of, and nothing else", async () => {
    const env = await processBytes(readFileSync(scan.input), { fileName: "c001.pdf" });
    expect(env.report.agency).toBe(scan.expected.report["agency"]);
    expect(env.report.year).toBe(scan.expected.report["year"]);
    expect(env.report.format).toBe("2021");
    const s = score(scan.expected, env);
    // Every non-null cell is the printed number; the rest are null.
    expect(s.wrongValues).toEqual([]);
    // The rows at the page breaks (二、上年结转 at the foot of a page, 2.申请人逾期未按收费… in a
    // row taller than an eighth of the page) and table 四 under its two-line header are read.
    expect(s.exact).toBeGreaterThanOrEqual(198);
    // The report is invalid on purpose (R1, R2): read right, it says so.
    expect(env.validation.status).toBe("invalid");
    expect(s.statusOk).toBe(true);
  }, 120_000);
});

/** A scan of the test corpus read by OCR, scored; no cell holds another number than the printed one. */
async function readScan(name: string) {
  const c = cases("scanned").find((x) => x.name === name);
  if (!c) throw new Error(`test/fixtures/corpus/scanned/${name} is missing`);
  const env = await processBytes(readFileSync(c.input), { fileName: `${name}.pdf` });
  const s = score(c.expected, env);
  expect(s.wrongValues).toEqual([]);
  return { c, env, s };
}

describe.concurrent("scans whose tables are tilted, cut by page breaks without a rule, and misread", () => {
  ocrByDefault();

  it("c003: a table tilted against its page, a row cut by a page break, a label misread", async () => {
    // Chromium drew no rule where the page cut table 三 (6.属于四类过程性信息 opens page 4 with
    // no rule above it); table 二 starts at the foot of page 2 tilted by 0.9° while the text
    // above it is straight; its right-hand rules are one faint pixel; （一）予以公开 reads as
    // 人入以公开 and is placed between the rows named on either side of it (T13).
    const { c, env, s } = await readScan("c003");
    expect(s.exact).toBeGreaterThanOrEqual(196);
    expect(env.report.agency).toBe(c.expected.report["agency"]);
    const apps = env.report.applications as Record<string, Record<string, Record<string, number | null>>> | null;
    expect(apps?.["withheld"]?.["processInformation"]?.["total"]).toBe(0);
    expect(env.validation.findings.some((f) => f.rule === "T13" && f.path === "applications.granted")).toBe(true);
  }, 120_000);

  it("c005: lone digits read a second time, and an agency misread is null, never another name", async () => {
    const { c, env, s } = await readScan("c005");
    expect(s.exact).toBeGreaterThanOrEqual(195);
    // 棠河县水利局: OCR reads the first character differently in its two printings; a wrong
    // name is worse than none.
    expect([null, c.expected.report["agency"]]).toContain(env.report.agency);
  }, 120_000);
});

describe.concurrent("the gate on a numeric cell's reads", () => {
  const ink = (digits: number) => ({ width: 12 * digits, height: 22 });
  const r = (text: string, confidence = 90) => ({ text, confidence });

  it("takes a number every read agrees on, confident and as wide as its digits", () => {
    expect(agreedNumber([r("41"), r(""), r("41")], ink(2))?.text).toBe("41");
    expect(agreedNumber([r("41"), r("")], ink(2))).toBe(null);
    expect(agreedNumber([r("41"), r("41", 40)], ink(2))).toBe(null);
    // A dropped digit: the ink is too wide for the one digit read.
    expect(agreedNumber([r("4"), r("4")], ink(2))).toBe(null);
  });

  it("settles a second read only on a number read three times, other reads being it with digits dropped", () => {
    expect(settledNumber([r("41"), r("41"), r("4", 0), r("41", 70)], ink(2))?.text).toBe("41");
    expect(settledNumber([r("1"), r(""), r("1", 51), r("1", 83), r("1", 86)], ink(1))?.text).toBe("1");
    // Not three confident reads.
    expect(settledNumber([r("41"), r("41"), r("41", 30)], ink(2))).toBe(null);
    // Another digit, a digit more, or a sign: unsure, whatever the majority.
    expect(settledNumber([r("41"), r("41"), r("41"), r("47", 20)], ink(2))).toBe(null);
    expect(settledNumber([r("41"), r("41"), r("41"), r("411", 20)], ink(2))).toBe(null);
    expect(settledNumber([r("24"), r("24"), r("24"), r("-24")], ink(3))).toBe(null);
    // A read with a digit dropped that the ink is wide enough for is not explained away.
    expect(settledNumber([r("41"), r("41"), r("41"), r("4", 20)], { width: 20, height: 22 })).toBe(null);
    // Never a number no read gave.
    expect(settledNumber([r("7", 0), r("1", 0), r("")], ink(1))).toBe(null);
  });
});

/** Page `n` of the scan as a grey raster the size the OCR reader renders (poppler's pdftoppm). */
function pageImage(pdf: string, n: number): Gray {
  const dir = mkdtempSync(join(tmpdir(), "nianbao-test-"));
  try {
    execFileSync("pdftoppm", ["-f", String(n), "-l", String(n), "-scale-to", "2400", "-gray", "-singlefile", pdf, join(dir, "p")]);
    return parsePnm(readFileSync(join(dir, "p.pgm")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A black stamp ring, `thick` pixels wide, centred on (cx, cy) (radius = thick: a solid disc). */
function stamp(img: Gray, cx: number, cy: number, radius: number, thick: number) {
  for (let y = Math.max(0, cy - radius); y < Math.min(img.height, cy + radius); y++)
    for (let x = Math.max(0, cx - radius); x < Math.min(img.width, cx + radius); x++) {
      const d = Math.hypot(x - cx, y - cy);
      if (d <= radius && d >= radius - thick) img.data[y * img.width + x] = 0;
    }
}

describe.concurrent("a scan with a stamp over a numeric cell", () => {
  ocrByDefault();

  it("reads the stamped cells right or not at all, and no other cell wrong", async () => {
    // Page 1 (title) and page 5 (table 三), with a black disc stamped over every cell of the
    // 自然人 column: their digits can no longer be read.
    const title = pageImage(scan.input, 1);
    const table = pageImage(scan.input, 5);
    // Where the cells are: the grid of the straightened page (a tenth of a degree moves the
    // middle of the page by a pixel or two, well inside the stamp).
    const ink = otsu(table);
    const straight = rotate(table, ruleSkewDegrees(table, ink) ?? 0);
    const grid = findPixelTables(straight, ink).sort((a, b) => b.cells.length - a.cells.length)[0];
    const column = grid?.cells.filter((c) => c.col === 3 && c.colSpan === 1) ?? [];
    expect(column.length).toBeGreaterThan(10);
    for (const c of column) stamp(table, Math.round((c.x0 + c.x1) / 2), Math.round((c.y0 + c.y1) / 2), 14, 14);
    const content = "q 595 0 0 842 0 0 cm /Im1 Do Q";
    const pdf = buildPdf([content, content.replace("Im1", "Im2")], { xobjects: { Im1: title, Im2: table } });
    const env = await processBytes(pdf, { fileName: "stamped.pdf" });
    expect(score(scan.expected, env).wrongValues).toEqual([]);
    const apps = env.report.applications as Record<string, Record<string, number | null>> | null;
    // The stamped cells are null, each named by a T12 finding; the rest of their rows is read.
    expect(apps?.["granted"]?.["naturalPerson"]).toBe(null);
    expect(env.validation.findings.filter((f) => f.rule === "T12" && f.path?.endsWith(".naturalPerson")).length).toBeGreaterThan(5);
    expect(apps?.["granted"]?.["total"]).toBe(67);
  }, 120_000);
});

describe.concurrent("a mixed PDF: typed pages, then scanned table pages", () => {
  ocrByDefault();

  it("reads the text layer where it exists and OCR where it does not", async () => {
    // Pages 1–3 of the typed report s003 (title, table 二), pages 4–7 of its scan c001 (table 三, 四).
    const typed = join(CORPUS, "synthetic", "s003.pdf");
    const dir = mkdtempSync(join(tmpdir(), "nianbao-test-"));
    try {
      execFileSync("pdfseparate", ["-f", "1", "-l", "3", typed, join(dir, "t%d.pdf")]);
      execFileSync("pdfseparate", ["-f", "4", "-l", "7", scan.input, join(dir, "i%d.pdf")]);
      const parts = ["t1", "t2", "t3", "i4", "i5", "i6", "i7"].map((n) => join(dir, `${n}.pdf`));
      execFileSync("pdfunite", [...parts, join(dir, "mixed.pdf")]);
      const e = await extractBytes(readFileSync(join(dir, "mixed.pdf")));
      expect(e.document.warnings.join(" ")).toMatch(/without a text layer read by OCR: 4, 5, 6, 7/);
      const env = buildEnvelope(e);
      const s = score(scan.expected, env);
      expect(s.wrongValues).toEqual([]);
      // Table 二 is on the typed pages: every cell exact.
      expect(s.diffs.filter((d) => d.startsWith("proactive."))).toEqual([]);
      expect(s.exact).toBeGreaterThanOrEqual(198);
      expect(env.report.agency).toBe(scan.expected.report["agency"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/** The processes whose command line holds `text` (Linux: /proc). */
function processesWith(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes(text)) found.push(`${pid}: ${cmd.slice(0, 120)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe("a scanned report read past JOB_TIMEOUT_MS", () => {
  ocrByDefault();

  it("stops with exit 11, and neither Tesseract nor pdftoppm nor their scratch folders outlive it", async () => {
    const child = spawn(process.execPath, [CLI, "extract", scan.input], {
      env: { ...process.env, JOB_TIMEOUT_MS: "3000" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    expect(code, stderr).toBe(11);
    expect(stderr).toMatch(/timeout: reading the file took longer than 3000 ms/);
    // The scratch folders and the programs of the stopped thread carry the process id.
    const mine = `nianbao-${child.pid}-`;
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith(mine))).toEqual([]);
    // A program still running is ended by its own watch at the deadline (TERM, KILL 2 s later).
    let left = processesWith(mine);
    for (let i = 0; i < 40 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = processesWith(mine);
    }
    expect(left).toEqual([]);
  }, 60_000);
});

describe("a scanned report with OCR switched off (NIANBAO_OCR=0)", () => {
  it("is refused as no-text-layer, naming the setting", async () => {
    const before = process.env["NIANBAO_OCR"];
    process.env["NIANBAO_OCR"] = "0";
    try {
      expect(ocrAvailable()).toBe(false);
      const e = await processBytes(readFileSync(scan.input)).then(
        () => null,
        (x: unknown) => x,
      );
      expect(isRefusal(e) && e.code).toBe("no-text-layer");
      expect(String((e as Error).message)).toMatch(/needs OCR, which NIANBAO_OCR=0 switches off/);
    } finally {
      if (before === undefined) delete process.env["NIANBAO_OCR"];
      else process.env["NIANBAO_OCR"] = before;
    }
  });
});

describe("the skew of a page without rules", () => {
  it("is measured from its text lines (it once came out 0 on every page)", () => {
    // Lines of "text": short strokes 12 px high, 40 px apart, then turned by 0.7°.
    const page: Gray = { width: 1200, height: 1600, data: new Uint8Array(1200 * 1600).fill(250) };
    for (let top = 100; top < 1500; top += 40)
      for (let x = 100; x < 1100; x++) if (x % 23 < 15) for (let y = top; y < top + 12; y++) page.data[y * page.width + x] = 20;
    expect(skewDegrees(page, otsu(page))).toBe(0);
    for (const deg of [0.7, -1.2]) expect(skewDegrees(rotate(page, -deg), otsu(page))).toBeCloseTo(deg, 1);
  });
});
