/**
 * Glued page text (src/reconstruct/glued.ts, readings.ts): tables whose cells ran together
 * with no separator. Pages are written here the way a web archiver keeps them (the body on
 * one line, the cells joined) and read through the real text extractor.
 */
import { describe, expect, it } from "vitest";
import { CATALOGUE } from "../src/catalogue.js";
import { processBytes } from "../src/process.js";
import { Budget, readRun, rowSumChecks } from "../src/reconstruct/readings.js";

function get(t: unknown, path: string): unknown {
  let n: unknown = t;
  for (const p of path.split(".")) n = n && typeof n === "object" ? (n as Record<string, unknown>)[p] : undefined;
  return n;
}

type Rows = Record<string, readonly (number | string)[]>;

/** Table 三's rows of a consistent 2021 report: 5 new, 1 carried over, 6 processed. */
function applicationsRows(): Rows {
  const zero = [0, 0, 0, 0, 0, 0, 0];
  const rows: Rows = {};
  for (const r of CATALOGUE["2021"].applications.rows) rows[r.path] = zero;
  rows["newReceived"] = [4, 1, 0, 0, 0, 0, 5];
  rows["carriedOver"] = [1, 0, 0, 0, 0, 0, 1];
  rows["granted"] = [3, 1, 0, 0, 0, 0, 4];
  rows["unableToProvide.notHeld"] = [2, 0, 0, 0, 0, 0, 2];
  rows["totalProcessed"] = [5, 1, 0, 0, 0, 0, 6];
  rows["carriedForward"] = [0, 0, 0, 0, 0, 0, 0];
  return rows;
}

/** A table 三 whose 予以公开 row has three readings, of which R2 leaves one. */
function settledByR2(): Rows {
  const rows = applicationsRows();
  rows["newReceived"] = [12, 2, 0, 0, 0, 0, 14];
  rows["carriedOver"] = [0, 0, 0, 0, 0, 0, 0];
  rows["granted"] = [11, 1, 0, 0, 0, 0, 12];
  rows["unableToProvide.notHeld"] = [1, 1, 0, 0, 0, 0, 2];
  rows["totalProcessed"] = [12, 2, 0, 0, 0, 0, 14];
  return rows;
}

/** A 2021 report page with every table's cells joined, the body on one line. */
function gluedPage(apps: Rows, options: { review?: string; afterTable?: string } = {}): string {
  const labels = CATALOGUE["2021"].applications.rows;
  const parents: Record<string, string> = {
    granted: "三、本年度办理结果",
    "withheld.stateSecret": "（三）不予公开",
    "unableToProvide.notHeld": "（四）无法提供",
    "notProcessed.complaintOrPetition": "（五）不予处理",
    "otherHandling.overdueCorrection": "（六）其他处理",
  };
  const t3 = labels.map((r) => `${parents[r.path] ?? ""}${r.label}${(apps[r.path] ?? []).join("")}`).join("");
  return [
    "临江县人民政府2022年政府信息公开工作年度报告",
    "本年报中所列数据的统计期限从2022年1月1日起至2022年12月31日止。",
    "一、总体情况 2022年，本县认真贯彻落实《条例》。",
    "二、主动公开政府信息情况 第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数规章000行政规范性文件31015第二十条第（五）项信息内容本年处理决定数量行政许可1234第二十条第（六）项信息内容本年处理决定数量行政处罚56行政强制0第二十条第（八）项信息内容本年收费金额（单位：万元）行政事业性收费0.25",
    `三、收到和处理政府信息公开申请情况 （本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他${t3}${options.afterTable ?? ""}`,
    `四、政府信息公开行政复议、行政诉讼情况 行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计未经复议直接起诉复议后起诉结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计${options.review ?? "100011000100000"}`,
    "五、政府信息公开工作存在的主要问题及改进情况 一是公开意识有待加强。",
    "六、其他需要报告的事项 本年度未收取信息处理费。",
  ].join(" ");
}

const run = async (page: string) => processBytes(Buffer.from(page, "utf8"), { fileName: "page.txt" });
const apps = (t: unknown, row: string) => get(t, row);

describe("readings of a run (readings.ts)", () => {
  const kinds7 = new Array(7).fill("count") as "count"[];
  const sums = rowSumChecks(CATALOGUE["2021"].applications, 7);
  const read = (s: string) => readRun([s], kinds7, sums, { budget: new Budget(50_000) });

  it("a total last settles 7200009 to one reading", () => {
    expect(read("7200009").readings).toEqual([[7, 2, 0, 0, 0, 0, 9]]);
  });

  it("462181147493 has three readings whose six columns add up to 493", () => {
    const r = read("462181147493");
    expect(r.readings).toHaveLength(3);
    for (const x of r.readings) expect((x as number[]).slice(0, 6).reduce((a, b) => a + b, 0)).toBe(x[6]);
  });

  it("no leading zeros, a minus only where a column may be negative, placeholders read as null", () => {
    const items = readRun(["234-1755842"], ["count", "signed", "count"], [], { budget: new Budget(10_000) });
    expect(items.readings).toHaveLength(7);
    expect([...(items.candidates[0] as Set<unknown>)]).toEqual([234]);
    expect(items.candidates[1]?.has(null)).toBe(true);
    expect(readRun(["---"], ["count", "count", "count"], [], { budget: new Budget(1000) }).readings).toEqual([[null, null, null]]);
    expect(readRun(["0105"], ["count", "count", "count"], [], { budget: new Budget(1000) }).readings).toEqual([[0, 10, 5]]);
    const amount = readRun(["3.25"], ["amount"], [], { budget: new Budget(1000) });
    expect(amount.readings).toEqual([[3.25]]);
  });

  it("gives up within its budget on a 40-digit row, and says so", () => {
    const r = readRun(["1234567890123456789012345678901234567890"], kinds7, sums, { budget: new Budget(50_000) });
    expect(r.exhausted || r.readings.length !== 1).toBe(true);
  });
});

describe("glued tables through the text extractor", () => {
  it("reads every table of a consistent page, with one T9 note per table", async () => {
    const env = await run(gluedPage(applicationsRows()));
    const t = env.report.applications;
    expect(apps(t, "newReceived")).toEqual({ naturalPerson: 4, commercialEnterprise: 1, researchInstitution: 0, socialWelfareOrganization: 0, legalServiceAgency: 0, other: 0, total: 5 });
    expect(apps(t, "unableToProvide.notHeld.total")).toBe(2);
    expect(get(env.report.proactive, "licensing.decisions")).toBe(1234);
    expect(get(env.report.proactive, "fees.amount")).toBe(0.25);
    expect(get(env.report.reviewLitigation, "review")).toEqual({ maintained: 1, corrected: 0, other: 0, pending: 0, total: 1 });
    expect(get(env.report.reviewLitigation, "litigationDirect.total")).toBe(1);
    expect(env.report.agency).toBe("临江县人民政府");
    expect(env.report.year).toBe(2022);
    expect(env.validation.findings.filter((f) => f.rule === "T9").map((f) => f.path)).toEqual(["proactive", "applications", "reviewLitigation"]);
    // 行政规范性文件 31015 has several readings (3|10|15, 3|101|5, 31|0|15 …): null, with the readings named.
    expect(get(env.report.proactive, "normativeDocuments.issued")).toBe(null);
    const t10 = env.validation.findings.find((f) => f.rule === "T10" && f.path === "proactive.normativeDocuments");
    expect(t10?.message).toMatch(/3\|10\|15/);
    // Table 二's nulls need no error rule, so the status stays valid.
    expect(env.validation.status).toBe("valid");
  });

  it("a row with several readings is settled by R2 when every other row of the sum is certain", async () => {
    // 111000012 reads 1|1|10|…|12, 1|11|0|…|12 or 11|1|0|…|12; only the last makes （七）总计
    // (122000014, one reading) the sum of the outcome rows in every column.
    const env = await run(gluedPage(settledByR2()));
    expect(apps(env.report.applications, "granted")).toEqual({ naturalPerson: 11, commercialEnterprise: 1, researchInstitution: 0, socialWelfareOrganization: 0, legalServiceAgency: 0, other: 0, total: 12 });
    const t11 = env.validation.findings.filter((f) => f.rule === "T11");
    expect(t11.map((f) => f.path)).toEqual(["applications.granted"]);
    expect(t11[0]?.message).toMatch(/R2 holds in every column/);
    expect(env.validation.status).toBe("valid");
  });

  it("the sums between rows settle nothing in a table that breaks a row's sum", async () => {
    const rows = settledByR2();
    rows["carriedForward"] = [1, 0, 0, 0, 0, 0, 2]; // printed total wrong
    const env = await run(gluedPage(rows));
    expect(apps(env.report.applications, "granted.naturalPerson")).toBe(null);
    expect(env.validation.findings.some((f) => f.rule === "T11")).toBe(false);
    expect(env.validation.findings.some((f) => f.rule === "R3" && f.severity === "error")).toBe(true);
  });

  it("never takes a split that only adds up by chance when the row breaks the sums between rows", async () => {
    const rows = applicationsRows();
    // Printed 21|0|0|0|0|0|12: the total is wrong. 2|10|0|0|0|0|12 adds up, but breaks R2.
    rows["granted"] = [21, 0, 0, 0, 0, 0, 12];
    const env = await run(gluedPage(rows));
    const granted = apps(env.report.applications, "granted") as Record<string, number | null>;
    expect(granted["naturalPerson"]).not.toBe(2);
    expect(granted["commercialEnterprise"]).not.toBe(10);
    expect(granted["naturalPerson"]).toBe(null);
    expect(env.validation.status).not.toBe("valid");
  });

  it("a row's numbers running into the next row's enumerator are cut at it", async () => {
    const rows = applicationsRows();
    rows["withheld.internalAffairs"] = [2, 0, 0, 0, 0, 0, 2];
    rows["granted"] = [1, 1, 0, 0, 0, 0, 2];
    rows["totalProcessed"] = [5, 1, 0, 0, 0, 0, 6];
    // 5.属于三类内部事务信息2000002 then 6.属于四类…: "20000026.属于四类过程性信息"
    const env = await run(gluedPage(rows));
    expect(apps(env.report.applications, "withheld.internalAffairs")).toEqual({ naturalPerson: 2, commercialEnterprise: 0, researchInstitution: 0, socialWelfareOrganization: 0, legalServiceAgency: 0, other: 0, total: 2 });
    expect(env.validation.status).toBe("valid");
  });

  it("a number that opens the prose after the table is not the last row's cell", async () => {
    const env = await run(gluedPage(applicationsRows(), { afterTable: " 2023年，本县将继续推进政务公开。" }));
    expect(apps(env.report.applications, "carriedForward.total")).toBe(0);
    expect(env.validation.status).toBe("valid");
  });

  it("a wrong printed total in table 四 is kept as printed when the digits allow one reading", async () => {
    const env = await run(gluedPage(applicationsRows(), { review: "100011000100002" }));
    expect(get(env.report.reviewLitigation, "litigationAfterReview")).toEqual({ maintained: 0, corrected: 0, other: 0, pending: 0, total: 2 });
    expect(env.validation.status).toBe("invalid");
    expect(env.validation.findings.some((f) => f.rule === "R4" && f.severity === "error")).toBe(true);
  });

  it("a row of 40 digits is null with a finding, not a hang", async () => {
    const rows = applicationsRows();
    rows["granted"] = ["1234567890123456789012345678901234567890"];
    const env = await run(gluedPage(rows));
    expect(apps(env.report.applications, "granted.total")).toBe(null);
    const f = env.validation.findings.find((x) => x.path === "applications.granted");
    expect(f?.rule).toMatch(/^T(3|10)$/);
  });
});
