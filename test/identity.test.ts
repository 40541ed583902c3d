/**
 * The report's printed identity (README "Identity"), end to end through processBytes and the
 * real extractors: agency from the title, the first sentence or the page metadata, never from
 * site chrome; year from the 统计期限, the title or the first dated sentence; the format a report
 * without tables takes; texts about reports refused; Traditional characters converted.
 *
 * test/fixtures/identity/README.md says how each fixture was made; each reproduces a failure
 * seen on real pages before this reading.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { RefusalError } from "../src/document.js";
import { processBytes } from "../src/process.js";
import { isBodyName } from "../src/reconstruct/identity.js";
import { score, type Expected } from "./support/corpus.js";
import { CLI } from "./support/pipeline.js";

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const run = (path: string) => processBytes(readFileSync(path), { fileName: basename(path) });
const expectedOf = (name: string) => JSON.parse(readFileSync(fixture(`identity/${name}.expected.json`), "utf8")) as Expected;
const text = (s: string) => processBytes(new TextEncoder().encode(s), { fileName: "t.txt" });

/** Every cell exact, and format, year and agency as expected. */
async function exact(file: string) {
  const env = await run(fixture(`identity/${file}`));
  const s = score(expectedOf(file.replace(/\.[a-z]+$/, "")), env);
  expect(s.diffs).toEqual([]);
  expect(s.fieldDiffs).toEqual([]);
  return env;
}

describe("agency", () => {
  it("a breadcrumb just above the title is not part of the agency", async () => {
    const env = await exact("breadcrumb-page.html");
    expect(env.report.agency).toBe("柳溪县大坝乡人民政府");
    expect(env.report.title).toBe("柳溪县大坝乡人民政府2024年政府信息公开工作年度报告");
    expect(env.validation.status).toBe("valid");
  });

  it("a page naming the body only in its metadata (发布机构) takes the name from there", async () => {
    const env = await exact("metadata-only.txt");
    expect([env.report.agency, env.report.title, env.report.year]).toEqual(["柳宁县财政局", null, 2025]);
    expect(env.validation.findings.some((f) => f.rule === "I1")).toBe(false);
  });

  it("a report that only says 我单位 has no agency, with an I1 warning, rather than «编制我单位»", async () => {
    const env = await exact("wodanwei.txt");
    expect(env.report.agency).toBeNull();
    const i1 = env.validation.findings.filter((f) => f.rule === "I1");
    expect(i1).toHaveLength(1);
    expect(i1[0]).toMatchObject({ severity: "warning", path: "agency" });
    expect(i1[0]?.message).toContain("编制我单位");
    expect(env.validation.status).toBe("valid");
  });

  it("keeps a township's full name whole when the title line has no name (not «政府»)", async () => {
    const env = await exact("township.txt");
    expect([env.report.agency, env.report.title]).toEqual(["青宁县大坝乡人民政府", "2024年政府信息公开工作年度报告"]);
  });

  it("keeps the full name of a title wrapped inside the name, and of a year-first title", async () => {
    const tail = "\n一、总体情况\n本机关认真落实《条例》。\n五、存在的主要问题及改进情况\n无。\n";
    const wrapped = await text(`淮安市洪泽区岔河镇人民\n政府2023年政府信息公开工作年度报告${tail}`);
    expect([wrapped.report.agency, wrapped.report.year]).toEqual(["淮安市洪泽区岔河镇人民政府", 2023]);
    const yearFirst = await text(`2023年洪泽区岔河镇人民政府政府信息公开工作年度报告${tail}`);
    expect(yearFirst.report.agency).toBe("洪泽区岔河镇人民政府");
  });

  it("does not join the site's name on the line above to a title that names its body", async () => {
    const tail = "\n一、总体情况\n本机关认真落实《条例》。\n五、存在的主要问题及改进情况\n无。\n";
    const env = await text(`柳溪县人民政府\n柳溪县大坝乡人民政府2024年政府信息公开工作年度报告${tail}`);
    expect([env.report.agency, env.report.title]).toEqual(["柳溪县大坝乡人民政府", "柳溪县大坝乡人民政府2024年政府信息公开工作年度报告"]);
  });

  it("reads the name in a metadata block whose fields run together, and not a newspaper as 来源", async () => {
    const body = "2023年政府信息公开工作年度报告\n一、总体情况\n2023年，本机关认真落实《条例》。\n五、存在的主要问题及改进情况\n无。\n";
    const joined = await text(`索引号：001/2024-0012发布机构：梧宁县人民政府办公室发布日期：2024-01-20\n${body}`);
    expect([joined.report.agency, joined.report.year]).toEqual(["梧宁县人民政府办公室", 2023]);
    const paper = await text(`来源：梧宁日报 发布时间：2024-01-26\n${body}`);
    expect(paper.report.agency).toBeNull();
    expect(paper.validation.findings.find((f) => f.rule === "I1")?.message).toContain("nothing names the body");
  });

  it("takes the name from the first sentence that names the body, not from 我局", async () => {
    const env = await text(
      "2023年政府信息公开工作年度报告\n一、总体情况\n2023年，我局坚持公开为常态。本报告由梧宁县交通运输局根据《条例》编制。\n五、存在的主要问题及改进情况\n无。\n",
    );
    expect([env.report.agency, env.report.year]).toEqual(["梧宁县交通运输局", 2023]);
  });

  it("tells a body's name from a phrase that is not one", () => {
    for (const name of ["淮安市人民政府", "洪泽区岔河镇人民政府", "上海市科委", "荆州市荆州区人民政府办公室", "松溪市槐阳区东坝街道办事处", "淮安市", "国家统计局", "枫岭县人⺠政府"])
      expect(isBodyName(name), name).toBe(true);
    for (const name of ["政府", "编制我单位", "我局", "本机关", "政府信息公开年报棠川县人民政府", "市政府办公室", "规范政府", "棠川县人民政府门户网站", "首页"])
      expect(isBodyName(name), name).toBe(false);
  });
});

describe("year", () => {
  it("a report with no title line and no 统计期限 takes the year of its first dated sentence", async () => {
    const env = await exact("no-title.txt");
    expect([env.report.year, env.report.title, env.report.agency]).toEqual([2023, null, "东川省人民政府办公厅"]);
    expect(env.validation.status).toBe("valid");
  });
});

describe("a page whose whole body is one line", () => {
  it("still has its title, agency and year at the start of that line", async () => {
    // shared corpus glued/g001: title, sentences, headings and tables on one line.
    const env = await run(fixture("identity/glued-g001.txt"));
    expect([env.report.agency, env.report.year, env.report.title]).toEqual(["枫宁市自然资源和规划局", 2020, "枫宁市自然资源和规划局2020年政府信息公开工作年度报告"]);
    expect(env.validation.findings.some((f) => f.rule === "I1")).toBe(false);
  });
});

describe("format without tables", () => {
  it("a 2022 report whose tables were cut off takes the 2021 format, incomplete, with a T1 per table", async () => {
    const env = await run(fixture("identity/cut-off-2022.txt"));
    const r = env.report;
    expect([r.format, r.year, r.agency]).toEqual(["2021", 2022, "青川市退役军人事务局"]);
    expect([r.proactive, r.applications, r.reviewLitigation]).toEqual([null, null, null]);
    expect(r.sections.overview).toMatch(/^2022年,青川市退役军人事务局坚持/);
    expect(env.validation.status).toBe("incomplete");
    expect(env.validation.findings.filter((f) => f.rule === "T1").map((f) => [f.severity, f.path])).toEqual([
      ["error", "proactive"],
      ["error", "applications"],
      ["error", "reviewLitigation"],
    ]);
  });

  it("a 2020 report without tables takes the 2019 format", async () => {
    const env = await text(
      "梧宁县水利局2020年政府信息公开工作年度报告\n一、总体情况\n2020年，我局认真落实《条例》。\n二、主动公开政府信息情况\n",
    );
    expect([env.report.format, env.report.year, env.validation.status]).toEqual(["2019", 2020, "incomplete"]);
  });
});

describe("not a report", () => {
  for (const [what, file] of [
    ["this repository's README (titles, 统计期限 and section names quoted)", "not-a-report/README.md"],
    ["a news article citing a report's figures", "not-a-report/news-article.html"],
  ] as const) {
    it(`refuses ${what} with not-a-report`, async () => {
      const refusal = await run(fixture(file)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(refusal).toBeInstanceOf(RefusalError);
      expect((refusal as RefusalError).code).toBe("not-a-report");
    });
  }

  it("the CLI exits 7 for the news article, with one line on stderr", () => {
    const r = spawnSync(process.execPath, [CLI, "extract", fixture("not-a-report/news-article.html")], { encoding: "utf8" });
    expect(r.status).toBe(7);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/not-a-report/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("Traditional characters", () => {
  it("reads a report in Traditional characters after conversion: Simplified agency, every cell, an I2 warning", async () => {
    const env = await exact("traditional.txt");
    expect(env.report.agency).toBe("青宁县大坝乡人民政府");
    expect(env.report.title).toBe("青宁县大坝乡人民政府2024年政府信息公开工作年度报告");
    expect(env.report.sections.overview).toMatch(/^2024年，青宁县大坝乡人民政府坚持/);
    expect(env.validation.status).toBe("valid");
    expect(env.validation.findings.filter((f) => f.rule === "I2").map((f) => f.severity)).toEqual(["warning"]);
  });

  it("a Simplified report gets no conversion finding", async () => {
    const env = await run(fixture("corpus/synthetic/s016.txt"));
    expect(env.validation.findings.some((f) => f.rule === "I2")).toBe(false);
  });
});
