/**
 * Each consistency rule firing and not firing, on a real report's numbers (the seed report,
 * which adds up) with single cells changed.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { identify } from "../src/identity/index.js";
import type { ReportData, TableData } from "../src/model.js";
import { validate } from "../src/validate/index.js";

const seed = JSON.parse(readFileSync(new URL("./fixtures/corpus/seed/jingzhouqu-2021.expected.json", import.meta.url), "utf8")) as {
  report: ReportData;
};

function base(): ReportData {
  const r = structuredClone(seed.report);
  return {
    ...r,
    ...identify(r.agency),
    sections: { overview: "受理政府信息公开申请12件。", problems: null, other: "本年度未收取信息处理费。" },
  };
}

function set(r: ReportData, path: string, value: number | null) {
  const parts = path.split(".");
  let node = r as unknown as TableData;
  for (const p of parts.slice(0, -1)) node = node[p] as TableData;
  node[parts[parts.length - 1] as string] = value;
}

const rules = (r: ReportData, severity?: "error" | "warning") =>
  validate(r, [], false)
    .findings.filter((f) => !severity || f.severity === severity)
    .map((f) => f.rule);

describe("rules on a consistent report", () => {
  it("gives status valid and no error finding", () => {
    const v = validate(base(), [], false);
    expect(v.status).toBe("valid");
    expect(v.findings.filter((f) => f.severity === "error")).toEqual([]);
  });
});

describe("R1 newReceived + carriedOver = totalProcessed + carriedForward", () => {
  it("fires in the column that breaks it, with expected and actual", () => {
    const r = base();
    set(r, "applications.carriedForward.naturalPerson", 1);
    set(r, "applications.carriedForward.total", 1);
    const v = validate(r, [], false);
    const f = v.findings.filter((x) => x.rule === "R1");
    expect(f.map((x) => x.path)).toEqual(["applications.totalProcessed.naturalPerson", "applications.totalProcessed.total"]);
    expect(f[0]).toMatchObject({ severity: "error", expected: 12, actual: 13 });
    expect(v.status).toBe("invalid");
  });
  it("is blocked, not passed, by a null cell: a warning naming it, status incomplete", () => {
    const r = base();
    set(r, "applications.carriedOver.other", null);
    const v = validate(r, [], false);
    const f = v.findings.find((x) => x.rule === "R1");
    expect(f?.severity).toBe("warning");
    expect(f?.message).toContain("applications.carriedOver.other");
    expect(v.status).toBe("incomplete");
  });
});

describe("R2 totalProcessed = Σ outcome rows", () => {
  it("fires when an outcome row is off", () => {
    const r = base();
    set(r, "applications.notProcessed.duplicate.naturalPerson", 5);
    set(r, "applications.notProcessed.duplicate.total", 5);
    expect(rules(r, "error")).toContain("R2");
  });
  it("uses the printed （六） row of a 2021 report that prints it as one row", () => {
    const r = base();
    const apps = r.applications as TableData;
    apps["otherHandlingAsPrinted"] = { naturalPerson: 2, commercialEnterprise: 0, researchInstitution: 0, socialWelfareOrganization: 0, legalServiceAgency: 0, other: 0, total: 2 };
    expect(rules(r, "error")).toContain("R2");
    set(r, "applications.granted.naturalPerson", 4);
    set(r, "applications.granted.total", 4);
    expect(rules(r, "error")).not.toContain("R2");
  });
});

describe("R3 row total = Σ applicant columns", () => {
  it("fires on the row whose total is wrong, and only there", () => {
    const r = base();
    set(r, "applications.granted.total", 7);
    const f = validate(r, [], false).findings.filter((x) => x.rule === "R3");
    expect(f.map((x) => x.path)).toEqual(["applications.granted.total"]);
    expect(f[0]).toMatchObject({ expected: 6, actual: 7 });
  });
});

describe("R4 table 四 group totals", () => {
  it("fires on a total printed as 0", () => {
    const r = base();
    set(r, "reviewLitigation.review.maintained", 3);
    const f = validate(r, [], false).findings.filter((x) => x.rule === "R4");
    expect(f.map((x) => x.path)).toEqual(["reviewLitigation.review.total"]);
  });
  it("does not fire when the group adds up", () => {
    const r = base();
    set(r, "reviewLitigation.review.maintained", 3);
    set(r, "reviewLitigation.review.total", 3);
    expect(rules(r)).not.toContain("R4");
  });
});

describe("R5 types", () => {
  it("fires on a negative count and a fractional count, not on a decimal amount", () => {
    const r = base();
    set(r, "proactive.licensing.decisions", -1);
    set(r, "proactive.punishment.decisions", 2.5);
    set(r, "proactive.fees.amount", 12.345678);
    const f = validate(r, [], false).findings.filter((x) => x.rule === "R5");
    expect(f.map((x) => x.path)).toEqual(["proactive.licensing.decisions", "proactive.punishment.decisions"]);
  });
  it("lets the 2019 本年增/减 be negative", () => {
    const r = JSON.parse(
      readFileSync(new URL("./fixtures/corpus/synthetic/s027.expected.json", import.meta.url), "utf8"),
    ).report as ReportData;
    r.sections = { overview: null, problems: null, other: null };
    Object.assign(r, identify(r.agency));
    expect((r.proactive as TableData)["punishment"]).toMatchObject({ change: -14 });
    expect(rules(r, "error")).not.toContain("R5");
  });
});

describe("R7 prose figures agree with the tables", () => {
  it("warns when the text states another figure", () => {
    const r = base();
    r.sections.overview = "2021年，受理政府信息公开申请15件。";
    const f = validate(r, [], false).findings.find((x) => x.rule === "R7");
    expect(f).toMatchObject({ severity: "warning", expected: 15, actual: 12 });
    expect(validate(r, [], false).status).toBe("valid");
  });
  it("is silent when they agree", () => {
    expect(rules(base())).not.toContain("R7");
  });
  it("reads a figure that the page's line wrapping cut from its unit, but not across a heading", () => {
    const r = base();
    r.sections.overview = "（二）依申请公开情况\n2021年，全县共受理政府信息公开申请 15\n件，均按时答复。";
    expect(validate(r, [], false).findings.find((x) => x.rule === "R7")).toMatchObject({ expected: 15, actual: 12 });
    r.sections.overview = "（二）行政复议\n3件复议均已审结。"; // review.total is 0: a heading run into the sentence would read 行政复议3件
    expect(rules(r)).not.toContain("R7");
  });
});

describe("R8 2021: section 六 reports 信息处理费", () => {
  it("warns when section 六 does not mention it", () => {
    const r = base();
    r.sections.other = "无其他需要报告的事项。";
    expect(rules(r, "warning")).toContain("R8");
    expect(rules(base())).not.toContain("R8");
  });
});

describe("R9 plausibility", () => {
  it("warns when a township reports 规章", () => {
    const r = base();
    r.agency = "青山镇人民政府";
    set(r, "proactive.regulations.issued", 2);
    expect(validate(r, [], false).findings.find((x) => x.rule === "R9")?.path).toBe("proactive.regulations.issued");
  });
  it("counts and names blank cells, without changing the status", () => {
    const r = base();
    set(r, "proactive.regulations.issued", null);
    set(r, "proactive.regulations.repealed", null);
    const v = validate(r, [], false);
    const f = v.findings.find((x) => x.rule === "R9");
    expect(f?.message).toContain("2 blank cells");
    expect(f?.message).toContain("proactive.regulations.issued");
    expect(v.status).toBe("valid");
  });
});

describe("status order", () => {
  it("a missing table or row makes the report incomplete before anything else", () => {
    const r = base();
    set(r, "applications.granted.total", 7);
    expect(validate(r, [], true).status).toBe("incomplete");
  });
});
