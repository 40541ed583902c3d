/**
 * Pre-2019 ("legacy") reports end to end through processBytes: the corpus has none, so
 * test/fixtures/legacy holds a realistic one (invented agency) in the 2008 Regulations'
 * layout: seven sections, prose figures, and an attached statistics table.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { processBytes } from "../src/process.js";
import { legacyHeadingOf } from "../src/reconstruct/legacy.js";

const FIXTURE = new URL("./fixtures/legacy/qinghequ-fagaiju-2016.txt", import.meta.url);
const line = (text: string) => ({ text, line: 0, block: 0, inGrid: false });

describe("a pre-2019 report", () => {
  it("is recognised as legacy, with title, agency and the year of its 统计期限", async () => {
    const env = await processBytes(readFileSync(FIXTURE), { fileName: "qinghequ-fagaiju-2016.txt" });
    const r = env.report;
    expect([r.format, r.year, r.agency, r.title]).toEqual(["legacy", 2016, "清河市清河区发展和改革局", "清河市清河区发展和改革局2016年政府信息公开工作年度报告"]);
    expect([r.proactive, r.applications, r.reviewLitigation]).toEqual([null, null, null]);
    expect(env.validation).toEqual({ status: "valid", findings: [] });
  });

  it("has its sections by the legacy headings, ending where the attachments begin", async () => {
    const { sections } = (await processBytes(readFileSync(FIXTURE))).report;
    expect(sections.overview).toMatch(/^2016年，我局认真贯彻落实《条例》/);
    // 六、政府信息公开工作存在的不足及改进措施: not a 2019+ heading
    expect(sections.problems).toMatch(/^我局政府信息公开工作仍存在一些不足/);
    expect(sections.problems).toMatch(/时效性和准确性。$/);
    // the sentence after 七、其他需要报告的事项 is its body, not a second heading; the
    // statistics table after 附件 is not part of it
    expect(sections.other).toBe("本年度无其他需要报告的事项。");
  });

  it("keeps the statistics table as label/unit/values rows, without its group labels", async () => {
    const r = (await processBytes(readFileSync(FIXTURE))).report;
    if (r.format !== "legacy") throw new Error("not legacy");
    const stats = r.legacy.statistics;
    expect(stats).toHaveLength(16);
    expect(stats[0]).toEqual({ label: "(一)主动公开政府信息数", unit: "条", values: [186, 1523] });
    expect(stats.find((s) => s.label === "(一)收到申请数")).toEqual({ label: "(一)收到申请数", unit: "件", values: [12, 87] });
    expect(stats.find((s) => s.label === "三、行政复议数量")).toEqual({ label: "三、行政复议数量", unit: "件", values: [1, 3] });
    expect(stats.at(-1)).toEqual({ label: "五、依申请公开信息收取的费用", unit: "万元", values: [0, 0] });
    expect(stats.some((s) => s.label.includes("主动公开情况"))).toBe(false);
  });

  it("reads the figures stated in the prose, each with its sentence, and none from the table", async () => {
    const r = (await processBytes(readFileSync(FIXTURE))).report;
    if (r.format !== "legacy") throw new Error("not legacy");
    expect(r.legacy.figures.map((f) => [f.label, f.value, f.unit])).toEqual([
      ["主动公开政府信息", 186, "条"],
      ["受理政府信息公开申请", 12, "件"],
      ["行政复议", 1, "件"],
      ["行政诉讼", 0, "件"],
    ]);
    expect(r.legacy.figures[1]?.evidence).toBe("2016年,我局共受理政府信息公开申请12件,其中当面申请3件,网络申请7件,信函申请2件。");
  });

  it("tells headings from sentences and table rows", () => {
    expect(legacyHeadingOf(line("六、政府信息公开工作存在的主要问题及改进措施"))).toBe("problems");
    expect(legacyHeadingOf(line("四、政府信息公开的收费及减免情况"))).toBe("fees");
    expect(legacyHeadingOf(line("五、因政府信息公开申请行政复议、提起行政诉讼的情况"))).toBe("reviewLitigation");
    expect(legacyHeadingOf(line("附件：2016年政府信息公开情况统计表"))).toBe("attachment");
    expect(legacyHeadingOf(line("本年度无其他需要报告的事项。"))).toBeNull();
    expect(legacyHeadingOf(line("二、依申请公开情况 | | |"))).toBeNull();
    expect(legacyHeadingOf(line("（一）公开数量"))).toBeNull();
  });
});
