/**
 * The reconstructor on the hard cases: labels split, wrapped or interleaved; page breaks and
 * footers; blanks; digits run together; headings that are not headings; format detection.
 * Documents are written here as the intermediate model, exactly as an extractor gives them.
 */
import { describe, expect, it } from "vitest";
import type { Block, GridCell, DocumentContent, RefusalError } from "../src/document.js";
import type { TableData } from "../src/model.js";
import { MAX_REGION_RUNS, MAX_TEXT_CHARS, reconstruct } from "../src/reconstruct/index.js";
import { validate } from "../src/validate/index.js";

const doc = (blocks: Block[]): DocumentContent => ({ mediaType: "text/plain", pages: null, blocks, warnings: [] });
const text = (lines: string): Block[] =>
  lines
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((t) => ({ kind: "text", text: t }));

function get(t: TableData | null, path: string): unknown {
  let n: unknown = t;
  for (const p of path.split(".")) n = n && typeof n === "object" ? (n as Record<string, unknown>)[p] : undefined;
  return n;
}

const HEAD = `XX县人民政府2023年政府信息公开工作年度报告
本报告所列数据的统计期限自2023年1月1日起至2023年12月31日止。
一、总体情况
2023年，本县主动公开政府信息。`;

const T2_2021 = `二、主动公开政府信息情况
第二十条第（一）项
信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数
规章 | 0 | 0 | 0
行政规范性文件 | 4 | 2 | 24
第二十条第（五）项
信息内容 | 本年处理决定数量
行政许可 | 10
第二十条第（六）项
信息内容 | 本年处理决定数量
行政处罚 | 3985758
行政强制 | 0
第二十条第（八）项
信息内容 | 本年收费金额（单位：万元）
行政事业性收费 | 24252.311082`;

/** Table 三 rows of a 2021 report, as label and seven values. */
const ROWS_2021: [string, number[]][] = [
  ["一、本年新收政府信息公开申请数量", [10, 1, 0, 0, 1, 0, 12]],
  ["二、上年结转政府信息公开申请数量", [1, 0, 0, 0, 0, 0, 1]],
  ["三、本年度办理结果 | （一）予以公开", [5, 1, 0, 0, 0, 0, 6]],
  ["（二）部分公开（区分处理的，只计这一情形，不计其他情形）", [1, 0, 0, 0, 0, 0, 1]],
  ["（三）不予公开 | 1.属于国家秘密", [0, 0, 0, 0, 0, 0, 0]],
  ["2.其他法律行政法规禁止公开", [0, 0, 0, 0, 0, 0, 0]],
  ["3.危及“三安全一稳定”", [0, 0, 0, 0, 0, 0, 0]],
  ["4.保护第三方合法权益", [1, 0, 0, 0, 0, 0, 1]],
  ["5.属于三类内部事务信息", [0, 0, 0, 0, 0, 0, 0]],
  ["6.属于四类过程性信息", [0, 0, 0, 0, 0, 0, 0]],
  ["7.属于行政执法案卷", [0, 0, 0, 0, 0, 0, 0]],
  ["8.属于行政查询事项", [0, 0, 0, 0, 0, 0, 0]],
  ["（四）无法提供 | 1.本机关不掌握相关政府信息", [2, 0, 0, 0, 1, 0, 3]],
  ["2.没有现成信息需要另行制作", [0, 0, 0, 0, 0, 0, 0]],
  ["3.补正后申请内容仍不明确", [0, 0, 0, 0, 0, 0, 0]],
  ["（五）不予处理 | 1.信访举报投诉类申请", [1, 0, 0, 0, 0, 0, 1]],
  ["2.重复申请", [0, 0, 0, 0, 0, 0, 0]],
  ["3.要求提供公开出版物", [0, 0, 0, 0, 0, 0, 0]],
  ["4.无正当理由大量反复申请", [0, 0, 0, 0, 0, 0, 0]],
  ["5.要求行政机关确认或重新出具已获取信息", [0, 0, 0, 0, 0, 0, 0]],
  ["（六）其他处理 | 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", [1, 0, 0, 0, 0, 0, 1]],
  ["2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", [0, 0, 0, 0, 0, 0, 0]],
  ["3.其他", [0, 0, 0, 0, 0, 0, 0]],
  ["（七）总计", [11, 1, 0, 0, 1, 0, 13]],
  ["四、结转下年度继续办理", [0, 0, 0, 0, 0, 0, 0]],
];

const T3_HEADER = `三、收到和处理政府信息公开申请情况
（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） | 申请人情况
自然人 | 法人或其他组织 | 总计
商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他`;

const T4 = `四、政府信息公开行政复议、行政诉讼情况
行政复议 | 行政诉讼
结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 未经复议直接起诉 | 复议后起诉
结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计
1 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 1 | 0 | 0 | 1`;

const TAIL = `五、存在的主要问题及改进情况
一是公开内容不够全面。
六、其他需要报告的事项
本年度未收取信息处理费。`;

const pipeRows = (rows: [string, number[]][]) => rows.map(([l, v]) => `${l} | ${v.join(" | ")}`).join("\n");

function report(body: string) {
  const rec = reconstruct(doc(text(body)));
  return { rec, v: validate(rec.report, rec.findings, rec.incomplete) };
}

describe("a clean 2021 report in text", () => {
  const { rec, v } = report([HEAD, T2_2021, T3_HEADER, pipeRows(ROWS_2021), T4, TAIL].join("\n"));
  it("reads metadata from the title and the 统计期限", () => {
    expect(rec.report).toMatchObject({ format: "2021", year: 2023, agency: "XX县人民政府", title: "XX县人民政府2023年政府信息公开工作年度报告" });
  });
  it("reads every table exactly and validates", () => {
    expect(get(rec.report.proactive, "punishment.decisions")).toBe(3985758);
    expect(get(rec.report.proactive, "fees.amount")).toBe(24252.311082);
    expect(get(rec.report.applications, "unableToProvide.notHeld")).toEqual({
      naturalPerson: 2, commercialEnterprise: 0, researchInstitution: 0, socialWelfareOrganization: 0, legalServiceAgency: 1, other: 0, total: 3,
    });
    expect(get(rec.report.applications, "otherHandling.overdueCorrection.total")).toBe(1);
    expect(get(rec.report.reviewLitigation, "litigationAfterReview")).toEqual({ maintained: 0, corrected: 1, other: 0, pending: 0, total: 1 });
    expect(v.status).toBe("valid");
  });
  it("keeps the prose of sections 一, 五 and 六", () => {
    expect(rec.report.sections).toEqual({
      overview: "2023年，本县主动公开政府信息。",
      problems: "一是公开内容不够全面。",
      other: "本年度未收取信息处理费。",
    });
  });
  it("is not fooled by 四、结转下年度继续办理 followed by the real heading 四", () => {
    expect(get(rec.report.applications, "carriedForward.total")).toBe(0);
    expect(get(rec.report.reviewLitigation, "review.total")).toBe(1);
  });
});

describe("label variation", () => {
  it("survives 1、 and (一), spaces inside labels, ASCII quotes, 规范性文件 and typos", () => {
    const rows = ROWS_2021.map(([l, v]): [string, number[]] => [
      l
        .replace(/(\d)\./, "$1、")
        .replace(/（/g, "(")
        .replace(/）/g, ")")
        .replace("“三安全一稳定”", '"三安全一稳定"')
        .replace("其他法律行政法规禁止公开", "其他法律行政止公开")
        .replace("本年新收", "本 年 新 收"),
      v,
    ]);
    const { rec, v } = report([HEAD, T2_2021.replace("行政规范性文件 |", "规范性文件 |"), T3_HEADER, pipeRows(rows), T4, TAIL].join("\n"));
    expect(get(rec.report.proactive, "normativeDocuments.inForce")).toBe(24);
    expect(get(rec.report.applications, "withheld.thirdPartyRights.total")).toBe(1);
    expect(get(rec.report.applications, "withheld.prohibitedByLaw.total")).toBe(0);
    expect(get(rec.report.applications, "newReceived.total")).toBe(12);
    expect(v.status).toBe("valid");
  });
  it("reads full-width digits", () => {
    const { rec } = report([HEAD, T2_2021.replace("行政许可 | 10", "行政许可 | １０"), T3_HEADER, pipeRows(ROWS_2021), T4, TAIL].join("\n"));
    expect(get(rec.report.proactive, "licensing.decisions")).toBe(10);
  });
});

describe("layout text (columns by runs of spaces), wrapped and interleaved labels", () => {
  const layout = ROWS_2021.map(([l, v]) => `${l.split(" | ").pop()}      ${v.join("     ")}`);
  it("reads a label wrapped around its numbers, and vertical parent labels in between", () => {
    const lines = [...layout];
    // （二）部分公开… wrapped over three lines with the numbers on the middle one
    lines[3] = `（二）部分公开（区分处理的，只计这一情\n            1     0     0     0     0     0     1\n形，不计其他情形）\n三、\n本`;
    lines[20] = `1.申请人无正当理由逾期不补\n正、行政机关不再处理其政府信      1     0     0     0     0     0     1\n息公开申请\n（六）其\n他处理`;
    const { rec, v } = report([HEAD, T2_2021, T3_HEADER, lines.join("\n"), T4, TAIL].join("\n"));
    expect(get(rec.report.applications, "partiallyGranted.total")).toBe(1);
    expect(get(rec.report.applications, "withheld.stateSecret.total")).toBe(0);
    expect(get(rec.report.applications, "otherHandling.overdueCorrection.naturalPerson")).toBe(1);
    expect(v.status).toBe("valid");
  });
  it("places rows printed without labels by the official order, between labelled rows", () => {
    const lines = [...layout];
    lines[2] = "      5     1     0     0     0     0     6";
    lines[3] = "      1     0     0     0     0     0     1";
    const { rec, v } = report([HEAD, T2_2021, T3_HEADER, lines.join("\n"), "（一）予以公开\n（二）部分公开", T4, TAIL].join("\n"));
    expect(get(rec.report.applications, "granted.total")).toBe(6);
    expect(get(rec.report.applications, "partiallyGranted.total")).toBe(1);
    expect(v.status).toBe("valid");
  });
  it("drops page-number lines inside a table", () => {
    const lines = [...layout];
    lines.splice(10, 0, "- 4 -");
    lines.splice(5, 0, "— 3 —");
    const { rec, v } = report([HEAD, T2_2021, T3_HEADER, lines.join("\n"), T4, TAIL].join("\n"));
    expect(get(rec.report.applications, "withheld.processInformation.total")).toBe(0);
    expect(v.status).toBe("valid");
  });
});

describe("flattened text that lost its cell order", () => {
  it("leaves rows null when one run fills them by count but they do not add up", () => {
    const lines = ROWS_2021.map(([l, v]) => `${l.split(" | ").pop()}      ${v.join("     ")}`);
    // rows 5–7 (不予公开 1–3) printed as one block of numbers, one per line, scrambled
    const scrambled = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    lines.splice(4, 3, `（三）不予公开\n1.属于国家秘密\n${scrambled.join("\n")}`);
    const { rec, v } = report([HEAD, T2_2021, T3_HEADER, lines.join("\n"), T4, TAIL].join("\n"));
    expect(get(rec.report.applications, "withheld.stateSecret.naturalPerson")).toBe(null);
    expect(get(rec.report.applications, "withheld.threeSecuritiesOneStability.total")).toBe(null);
    expect(v.findings.find((f) => f.path === "applications.withheld.stateSecret")?.message).toContain("do not add up");
    expect(get(rec.report.applications, "withheld.thirdPartyRights.total")).toBe(1);
  });

  // Plain pdftotext writes the rows that share a merged cell as blocks, column by column, one
  // number per line, with their labels after the numbers.
  const layoutLines = () => ROWS_2021.map(([l, v]) => `${l.split(" | ").pop()}      ${v.join("     ")}`);
  const oneNumberPerLine = (values: number[]) => values.join("\n");
  const columnMajor = (rows: [string, number[]][]) => rows[0]![1].flatMap((_, c) => rows.map(([, v]) => v[c]!));

  it("reads rows printed one number per line column by column when only that order adds up (T7)", () => {
    const lines = layoutLines();
    const block = ROWS_2021.slice(4, 13); // （三）1 … （四）1: nine rows
    const partly = ROWS_2021[3]!;
    lines.splice(
      3,
      10,
      [partly[0], oneNumberPerLine(partly[1]), oneNumberPerLine(columnMajor(block)), ...block.map(([l]) => l.split(" | ").pop())].join("\n"),
    );
    const { rec, v } = report([HEAD, T2_2021, T3_HEADER, lines.join("\n"), T4, TAIL].join("\n"));
    expect(get(rec.report.applications, "withheld.thirdPartyRights")).toEqual({
      naturalPerson: 1, commercialEnterprise: 0, researchInstitution: 0, socialWelfareOrganization: 0, legalServiceAgency: 0, other: 0, total: 1,
    });
    expect(get(rec.report.applications, "unableToProvide.notHeld.legalServiceAgency")).toBe(1);
    expect(get(rec.report.applications, "unableToProvide.notHeld.total")).toBe(3);
    expect(get(rec.report.applications, "partiallyGranted.total")).toBe(1);
    expect(v.findings.filter((f) => f.rule === "T7").map((f) => f.path)).toEqual(["applications.partiallyGranted"]);
    expect(v.status).toBe("valid");
  });

  it("leaves such rows null when two cell orders add up", () => {
    const lines = layoutLines();
    // 0 0 0 0 0 0 0 | 1 2 0 …: the second row fails as printed; read as one row then a block
    // of two, or as a block of three, both add up, with different cells
    const values = [0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2];
    lines.splice(4, 3, `（三）不予公开\n1.属于国家秘密\n${oneNumberPerLine(values)}\n2.其他法律行政法规禁止公开\n3.危及“三安全一稳定”`);
    const { rec, v } = report([HEAD, T2_2021, T3_HEADER, lines.join("\n"), T4, TAIL].join("\n"));
    expect(get(rec.report.applications, "withheld.stateSecret.naturalPerson")).toBe(null);
    expect(get(rec.report.applications, "withheld.prohibitedByLaw.total")).toBe(null);
    expect(get(rec.report.applications, "withheld.threeSecuritiesOneStability.total")).toBe(null);
    expect(v.findings.find((f) => f.path === "applications.withheld.prohibitedByLaw")?.message).toContain("more than one cell order");
    expect(get(rec.report.applications, "withheld.thirdPartyRights.total")).toBe(1);
  });

  it("keeps the printed order when it adds up, though another order would too", () => {
    const lines = layoutLines();
    // 0×7 then 1 0 0 0 0 0 1: read by column as a block of two it adds up as well (0 0 0 1 0 0 1)
    const values = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
    lines.splice(16, 2, `2.重复申请\n${oneNumberPerLine(values)}\n3.要求提供公开出版物`);
    const { rec, v } = report([HEAD, T2_2021, T3_HEADER, lines.join("\n"), T4, TAIL].join("\n"));
    expect(get(rec.report.applications, "notProcessed.publication.naturalPerson")).toBe(1);
    expect(get(rec.report.applications, "notProcessed.publication.legalServiceAgency")).toBe(0);
    expect(v.findings.some((f) => f.rule === "T7")).toBe(false);
  });
});

describe("layout text whose numbers drifted from their labels (cells centred vertically)", () => {
  it("leaves the rows concerned null rather than shifting numbers onto the wrong rows", () => {
    const lines = ROWS_2021.map(([l, v]) => `${l.split(" | ").pop()}      ${v.join("     ")}`);
    // 2.重复申请 has 3…3, 5.要求… has 2…2; each row's numbers are printed a line below its label
    lines.splice(
      16,
      4,
      [
        "2.重复申请",
        "3.要求提供公开出版物",
        "                 3     0     0     0     0     0     3",
        "4.无正当理由大量反复申请",
        "                 0     0     0     0     0     0     0",
        "5.要求行政机关确认或重新出具已获取      0     0     0     0     0     0     0",
        "信息      2     0     0     0     0     0     2",
      ].join("\n"),
    );
    const { rec, v } = report([HEAD, T2_2021, T3_HEADER, lines.join("\n"), T4, TAIL].join("\n"));
    const read = (p: string) => get(rec.report.applications, p);
    // no row got another row's numbers
    expect(read("notProcessed.publication.total")).not.toBe(3);
    expect(read("notProcessed.confirmationRequest.total")).not.toBe(0);
    expect(read("notProcessed.publication.total")).toBe(null);
    expect(read("notProcessed.confirmationRequest.total")).toBe(null);
    expect(v.findings.find((f) => f.path === "applications.notProcessed.publication")?.message).toContain("out of step");
    // the rows around are read
    expect(read("notProcessed.complaintOrPetition.total")).toBe(1);
    expect(read("otherHandling.overdueCorrection.total")).toBe(1);
  });
});

describe("table 四 out of order in flattened text", () => {
  const T4_HEAD = `四、政府信息公开行政复议、行政诉讼情况
行政复议
行政诉讼
未经复议直接起诉
复议后起诉`;
  const body = (t4: string, overview = "") =>
    [HEAD, overview, T2_2021, T3_HEADER, pipeRows(ROWS_2021), T4_HEAD, t4, TAIL].filter((x) => x !== "").join("\n");

  it("reads its data row cut in pieces by header words when every group adds up", () => {
    const { rec, v } = report(body("1\n1\n0\n0\n2\n1\n0\n0\n0\n1\n2\n0\n1\n0\n总计\n3"));
    expect(rec.report.reviewLitigation).toEqual({
      review: { maintained: 1, corrected: 1, other: 0, pending: 0, total: 2 },
      litigationDirect: { maintained: 1, corrected: 0, other: 0, pending: 0, total: 1 },
      litigationAfterReview: { maintained: 2, corrected: 0, other: 1, pending: 0, total: 3 },
    });
    expect(v.status).toBe("valid");
  });

  // The groups interleaved: 行政复议's first four, 复议后起诉's first four, 行政复议's total, …
  const INTERLEAVED = "72\n64\n178\n37\n结果\n12\n1\n1\n6\n总计\n351\n维持\n13\n4\n8\n1\n26\n总计\n20";

  it("leaves interleaved groups null: the sums cannot tell which group is which", () => {
    const { rec, v } = report(body(INTERLEAVED));
    expect(get(rec.report.reviewLitigation, "review.total")).toBe(null);
    expect(get(rec.report.reviewLitigation, "litigationDirect.total")).toBe(null);
    expect(v.status).toBe("incomplete");
  });

  it("reads 行政复议 from them when the prose states all five of its figures (T8); the rest stay null", () => {
    const prose = "全年政府信息公开行政复议 351\n件，其中结果维持 72 件，结果纠正 64 件，其他结果 178 件，尚\n未审结 37 件；行政诉讼 46 件。";
    const { rec, v } = report(body(INTERLEAVED, prose));
    expect(get(rec.report.reviewLitigation, "review")).toEqual({ maintained: 72, corrected: 64, other: 178, pending: 37, total: 351 });
    expect(get(rec.report.reviewLitigation, "litigationDirect.total")).toBe(null);
    expect(get(rec.report.reviewLitigation, "litigationAfterReview.maintained")).toBe(null);
    expect(v.findings.find((f) => f.rule === "T8")?.path).toBe("reviewLitigation.review");
    expect(v.findings.find((f) => f.path === "reviewLitigation.litigationDirect")?.message).toContain("out of order");
  });

  it("does not when the prose states other figures", () => {
    const prose = "全年政府信息公开行政复议 351 件，其中结果维持 70 件，结果纠正 66 件，其他结果 178 件，尚未审结 37 件。";
    const { rec } = report(body(INTERLEAVED, prose));
    expect(get(rec.report.reviewLitigation, "review.total")).toBe(null);
  });
});

describe("blanks", () => {
  it("a blank or placeholder cell is null, never 0, and only R9 warns about table 二 blanks", () => {
    const t2 = T2_2021.replace("规章 | 0 | 0 | 0", "规章 | / | — |  |").replace("行政强制 | 0", "行政强制 | -");
    const { rec, v } = report([HEAD, t2, T3_HEADER, pipeRows(ROWS_2021), T4, TAIL].join("\n"));
    expect(get(rec.report.proactive, "regulations")).toEqual({ issued: null, repealed: null, inForce: null });
    expect(get(rec.report.proactive, "coercion.decisions")).toBe(null);
    expect(v.status).toBe("valid");
    expect(v.findings.find((f) => f.rule === "R9")?.message).toContain("4 blank cells");
  });
  it("a label printed with no numbers in flattened text is a blank row", () => {
    const t2 = T2_2021.replace("规章 | 0 | 0 | 0", "规章");
    const { rec } = report([HEAD, t2, T3_HEADER, pipeRows(ROWS_2021), T4, TAIL].join("\n"));
    expect(get(rec.report.proactive, "regulations")).toEqual({ issued: null, repealed: null, inForce: null });
    expect(get(rec.report.proactive, "normativeDocuments.issued")).toBe(4);
  });
  it("labels printed in a block, before numbers no row could take, are not taken for blank rows", () => {
    // reading-order text of a re-rendered PDF: the labels of table 二 in one block, their numbers after
    const t2 = T2_2021.split("\n").slice(0, 6).filter((l) => !l.startsWith("规章")).join("\n");
    const block = ["规章", "行政许可", "行政处罚", "行政强制", "信息内容", "行政事业性收费", "0", "0", "0", "10", "第二十条第（六）项", "3985758", "0", "24252.311082"];
    const { rec, v } = report([HEAD, t2, ...block, T3_HEADER, pipeRows(ROWS_2021), T4, TAIL].join("\n"));
    const p = rec.report.proactive;
    expect(get(p, "normativeDocuments")).toEqual({ issued: 4, repealed: 2, inForce: 24 });
    for (const row of ["regulations", "licensing", "punishment", "coercion", "fees"]) {
      expect(Object.values(get(p, row) as object).every((x) => x === null)).toBe(true);
      // null, but never as a blank row: each has a finding
      expect(v.findings.some((f) => f.path === `proactive.${row}` && (f.rule === "T2" || f.rule === "T3"))).toBe(true);
    }
    expect(v.findings.find((f) => f.path === "proactive.licensing")?.message).toContain("whether the row is blank cannot be told");
  });

  it("values whose nearest label is another row's are not given to the row named before it", () => {
    // `收费 | 信息内容 | 采购 | 11 11` (2019): the two numbers sit after 政府集中采购's label
    const t2 = T2_2021.replace("行政强制 | 0", "行政强制 | 信息内容 | 行政事业性收费 | 0");
    const { rec, v } = report([HEAD, t2.replace("行政事业性收费 | 24252.311082", "24252.311082"), T3_HEADER, pipeRows(ROWS_2021), T4, TAIL].join("\n"));
    expect(get(rec.report.proactive, "coercion.decisions")).toBe(null);
    expect(v.findings.find((f) => f.path === "proactive.coercion")?.message).toContain("nearest these values is another row's");
  });

  it("a blank cell of table 三 blocks the rules that need it: incomplete, with the cell named", () => {
    const rows = ROWS_2021.map(([l, v], i): [string, (number | string)[]] => [l, i === 1 ? [1, 0, 0, 0, "/", 0, 1] : v]);
    const body = rows.map(([l, v]) => `${l} | ${v.join(" | ")}`).join("\n");
    const { rec, v } = report([HEAD, T2_2021, T3_HEADER, body, T4, TAIL].join("\n"));
    expect(get(rec.report.applications, "carriedOver.legalServiceAgency")).toBe(null);
    expect(v.status).toBe("incomplete");
    expect(v.findings.find((f) => f.rule === "R1" && f.severity === "warning")?.message).toContain("carriedOver.legalServiceAgency");
  });
});

describe("digits that ran together", () => {
  it("are split when exactly one split satisfies the row sum", () => {
    const rows = [...ROWS_2021];
    rows[0] = ["一、本年新收政府信息公开申请数量", [640020470] as number[]]; // 64|0|0|2|0|4|70
    const body = pipeRows(rows).replace("640020470", "640020470").replace(/\|/g, " ").replace(/ +/g, "  ");
    const fix = ROWS_2021.slice(1).map(([l, v]) => [l, v] as [string, number[]]);
    fix[1] = ["三、本年度办理结果 | （一）予以公开", [63, 1, 0, 2, 0, 4, 70]];
    const { rec, v } = report([HEAD, T2_2021, T3_HEADER, body.split("\n")[0], pipeRows(fix), T4, TAIL].join("\n"));
    expect(get(rec.report.applications, "newReceived")).toEqual({
      naturalPerson: 64, commercialEnterprise: 0, researchInstitution: 0, socialWelfareOrganization: 2, legalServiceAgency: 0, other: 4, total: 70,
    });
    expect(v.findings.find((f) => f.rule === "T4")?.message).toContain("64|0|0|2|0|4|70");
  });
  it("are left null with a finding when several splits satisfy the sum", () => {
    const rows = [...ROWS_2021];
    const { rec, v } = report(
      [HEAD, T2_2021, T3_HEADER, "一、本年新收政府信息公开申请数量  1001012", pipeRows(rows.slice(1)), T4, TAIL].join("\n"),
    );
    expect(get(rec.report.applications, "newReceived.total")).toBe(null);
    expect(v.findings.some((f) => f.rule === "T3" && f.path === "applications.newReceived")).toBe(true);
    expect(v.status).toBe("incomplete");
  });
});

describe("bounded reading", () => {
  it("a table region with more runs of values than a table can hold is not read, and says so", () => {
    const many = Array.from({ length: MAX_REGION_RUNS + 5 }, () => "1.属于国家秘密 | 0 | 0 | 0 | 0 | 0 | 0 | 0").join("\n");
    const { rec, v } = report([HEAD, T2_2021, T3_HEADER, many, pipeRows(ROWS_2021), T4, TAIL].join("\n"));
    expect(get(rec.report.applications, "newReceived.total")).toBe(null);
    expect(v.findings.find((f) => f.path === "applications.newReceived")?.message).toMatch(/runs of values, more than a table can/);
    // The other tables are read as usual.
    expect(get(rec.report.proactive, "punishment.decisions")).toBe(3985758);
    expect(v.status).toBe("incomplete");
  });

  it("a document with more text than any report is refused as too large", () => {
    const big = "政府信息公开".repeat(Math.ceil(MAX_TEXT_CHARS / 6) + 1);
    expect(() => reconstruct(doc(text(`${HEAD}\n${big}`)))).toThrow(/too-large|more than the limit/);
    try {
      reconstruct(doc(text(big)));
    } catch (e) {
      expect((e as RefusalError).code).toBe("too-large");
    }
  });
});

describe("format detection from the labels, never the year", () => {
  it("reads a 2022 report printed in the 2019 tables as 2019", () => {
    const t2 = `二、主动公开政府信息情况
第二十条第（一）项
信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量
规章 | 0 | 0 | 0
规范性文件 | 5 | 5 | 7
第二十条第（五）项
信息内容 | 上一年项目数量 | 本年增/减 | 处理决定数量
行政许可 | 0 | 20 | 57
其他对外管理服务事项 | 24 | 2 | 0
第二十条第（六）项
信息内容 | 上一年项目数量 | 本年增/减 | 处理决定数量
行政处罚 | 179 | -14 | 0
行政强制 | 5 | 5 | 0
第二十条第（八）项
信息内容 | 上一年项目数量 | 本年增/减
行政事业性收费 | 5 | 11
第二十条第（九）项
信息内容 | 采购项目数量 | 采购总金额
政府集中采购 | 5 | 251000元`;
    const rows = ROWS_2021.filter((_, i) => i < 20 || i > 22);
    rows.splice(20, 0, ["（六）其他处理", [1, 0, 0, 0, 0, 0, 1]]);
    const { rec, v } = report([HEAD.replace(/2023/g, "2022"), t2, T3_HEADER, pipeRows(rows), T4, TAIL].join("\n"));
    expect(rec.report.format).toBe("2019");
    expect(rec.report.year).toBe(2022);
    expect(get(rec.report.proactive, "punishment.change")).toBe(-14);
    expect(get(rec.report.proactive, "procurement")).toEqual({ projects: 5, amount: 251000, amountUnit: "元" });
    expect(get(rec.report.applications, "otherHandling.total")).toBe(1);
    expect(v.status).toBe("valid");
  });
  it("spreads a 2021 report's single （六）其他处理 row onto the sub-rows where it is 0", () => {
    const rows = ROWS_2021.filter((_, i) => i < 20 || i > 22);
    rows.splice(20, 0, ["（六）其他处理", [1, 0, 0, 0, 0, 0, 1]]);
    const { rec, v } = report([HEAD, T2_2021, T3_HEADER, pipeRows(rows), T4, TAIL].join("\n"));
    expect(rec.report.format).toBe("2021");
    expect(get(rec.report.applications, "otherHandling.other")).toEqual({
      naturalPerson: null, commercialEnterprise: 0, researchInstitution: 0, socialWelfareOrganization: 0, legalServiceAgency: 0, other: 0, total: null,
    });
    expect(v.findings.some((f) => f.rule === "T5")).toBe(true);
    expect(v.findings.filter((f) => f.rule === "R2" && f.severity === "error")).toEqual([]);
  });
});

describe("grids", () => {
  it("reads a grid with rowspans and an empty rowspan continuation", () => {
    const cells: GridCell[][] = [];
    const c = (row: number, col: number, text: string, rowSpan = 1, colSpan = 1): GridCell => ({ row, col, text, rowSpan, colSpan });
    cells.push([c(0, 0, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), c(0, 3, "申请人情况", 1, 7)]);
    cells.push([c(1, 3, "自然人", 2), c(1, 4, "法人或其他组织", 1, 5), c(1, 9, "总计", 2)]);
    cells.push(["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"].map((t, i) => c(2, 4 + i, t)));
    ROWS_2021.forEach(([label, v], i) => {
      const r = i + 3;
      const labels = label.split(" | ");
      const row: GridCell[] = labels.map((l, k) => c(r, k, l, 1, k === labels.length - 1 ? 3 - k : 1));
      v.forEach((x, k) => row.push(c(r, 3 + k, k === 2 ? "" : String(x))));
      cells.push(row);
    });
    const table: Block = { kind: "table", nRows: cells.length, nCols: 10, rows: cells };
    const rec = reconstruct(doc([...text([HEAD, T2_2021].join("\n")), table, ...text([T4, TAIL].join("\n"))]));
    expect(get(rec.report.applications, "newReceived")).toEqual({
      naturalPerson: 10, commercialEnterprise: 1, researchInstitution: null, socialWelfareOrganization: 0, legalServiceAgency: 1, other: 0, total: 12,
    });
    expect(get(rec.report.applications, "carriedForward.total")).toBe(0);
  });
});

describe("pre-2019 reports", () => {
  it("are legacy, with sections and statistics", () => {
    const rec = reconstruct(
      doc(
        text(`XX市人民政府2017年政府信息公开工作年度报告
一、概述
2017年，全市主动公开政府信息1234条，受理政府信息公开申请56件。
二、主动公开政府信息情况
全年主动公开信息1234条。
指标名称 | 计量单位 | 本年度 | 历年累计
受理依申请公开信息总数 | 条 | 12 | 340
五、存在的主要问题及改进措施
仍有不足。`),
      ),
    );
    expect(rec.report.format).toBe("legacy");
    expect(rec.report.year).toBe(2017);
    expect(rec.report.legacy?.statistics).toEqual([{ label: "受理依申请公开信息总数", unit: "条", values: [12, 340] }]);
    expect(rec.report.legacy?.figures.map((f) => [f.label, f.value])).toEqual([
      ["主动公开政府信息", 1234],
      ["受理政府信息公开申请", 56],
      ["主动公开政府信息", 1234],
    ]);
  });
});
