/**
 * The report's printed identity: its title, the agency as the report names itself, and the
 * year reported on (README "Identity").
 *
 * - agency: from the title; else from the first sentence that names the body (本机关, 我局,
 *   我单位 do not name it); else from the page's own metadata (发布机构：…, 来源：…). Site
 *   chrome (breadcrumbs, a site name, a column name) is never part of it, and every candidate
 *   must be a plausible body name (`isBodyName`). A phrase that is not one gives null with an
 *   I1 warning: a wrong name is worse than none.
 * - year: from the 统计期限; else the title; else the first sentence that dates the report's
 *   own work (2023年，我局…).
 */
import { BODY_SUFFIXES, NOT_BODY_NAME_START, NOT_IN_BODY_NAME, PLACE_SUFFIXES } from "../catalogue.js";
import type { Finding } from "../model.js";
import { nfkc } from "./normalize.js";
import type { TokenStream } from "./tokens.js";

export interface Metadata {
  title: string | null;
  agency: string | null;
  year: number | null;
}

export interface Identity extends Metadata {
  /** I1 when no plausible agency name was found. */
  findings: Finding[];
  /** Where the agency came from; null when none was found. */
  agencySource: "title" | "sentence" | "metadata" | null;
}

/**
 * Characters of the CJK Radicals Supplement that some PDF producers emit for ordinary
 * characters (人⺠政府, ⻘溪市), which NFKC leaves alone. Used to check a name, never to change it.
 */
const RADICALS: Readonly<Record<string, string>> = {
  "⺠": "民",
  "⻘": "青",
  "⻓": "长",
  "⻔": "门",
  "⻢": "马",
  "⻋": "车",
  "⻅": "见",
  "⻛": "风",
  "⻜": "飞",
  "⻚": "页",
  "⻉": "贝",
  "⻩": "黄",
  "⻬": "齐",
  "⻄": "西",
  "⻝": "食",
  "⻦": "鸟",
  "⻥": "鱼",
  "⻰": "龙",
  "⻳": "龟",
};
const RADICALS_RE = new RegExp(`[${Object.keys(RADICALS).join("")}]`, "g");

function plain(s: string): string {
  return nfkc(s)
    .replace(/\s+/g, "")
    .replace(RADICALS_RE, (c) => RADICALS[c] ?? c);
}

const ENDINGS = [...BODY_SUFFIXES, ...PLACE_SUFFIXES].sort((a, b) => b.length - a.length);

/**
 * Whether a phrase is plausibly a body's name: it ends in a body suffix (人民政府, 办公室, 局,
 * 委员会, …) or is a place (淮安市), starts with a name rather than a bare level (市政府) or a
 * pronoun (我单位), and carries no site chrome (政府信息公开年报) or verb of the report (编制).
 */
export function isBodyName(name: string): boolean {
  const n = plain(name);
  if (n.length < 2 || n.length > 40) return false;
  if (/[\d>»›|/\\:：，,。；;、《》“”"()（）【】[\]]/.test(n)) return false;
  if (NOT_IN_BODY_NAME.some((w) => n.includes(w))) return false;
  if (NOT_BODY_NAME_START.some((w) => n.startsWith(w))) return false;
  const ending = ENDINGS.find((e) => n.endsWith(e));
  if (ending === undefined || n.length <= ending.length) return false;
  // A name starts with its place (淮安市…, 岔河镇…) or is a national body's (国家…, 国务院…).
  const stem = n.slice(0, n.length - ending.length);
  return PLACE_IN_NAME_RE.test(stem) || NATIONAL_RE.test(n) || PLACE_SUFFIXES.includes(ending);
}

/** A place in the name before its body suffix: 淮安市, 洪泽区, 岔河镇, 东坝街道. */
const PLACE_IN_NAME_RE = new RegExp(`^.+?(?:${PLACE_SUFFIXES.join("|")})`);
const NATIONAL_RE = /^(?:国家|国务院|中国|中华人民共和国|中央|全国|海关)/;

// ------------------------------------------------------------------------------- the title

/** The end of a title: 政府信息公开工作年度报告 and its variants, after the year. */
const TITLE_TAIL = "(?:政府)?信息公开(?:工作)?年度报告";
/** Agency first: 淮安市人民政府2024年政府信息公开工作年度报告. */
const AGENCY_FIRST_RE = new RegExp(`^(.*?)((?:19|20)\\d{2})年度?${TITLE_TAIL}`);
/** Year first: 2024年桐岭市桐河区人民政府政府信息公开工作年度报告. */
const YEAR_FIRST_RE = new RegExp(`^((?:19|20)\\d{2})年度?(.+?)${TITLE_TAIL}`);
/** No agency at all: 2023年政府信息公开工作年度报告. */
const YEAR_ONLY_RE = new RegExp(`^((?:19|20)\\d{2})年度?${TITLE_TAIL}`);
/** What can stand before the agency on the title line: markup, breadcrumbs, a sentence. */
const PREFIX_RE = /^.*(?:[，,。；;：:>»›】\]]|现予?公布|特?发布|首页|当前位置)/;
const MARKUP_RE = /^[#*>\-\s【[]+|[*】\]]+$/g;
/** Site chrome a breadcrumb leaves before the title once its separators are gone: column names. */
const CHROME_PREFIX_RE = /^(?:(?:政府|政务)?信息公开(?:工作)?(?:年度报告|年报)?(?:专栏|栏目)?|政务公开|年度报告|年报)+/;

interface TitleMatch extends Metadata {
  /** The agency phrase as printed before it was checked; set when it is not a body's name. */
  rejected: string | null;
}

function cleanAgency(raw: string): string {
  let a = raw.replace(PREFIX_RE, "").replace(MARKUP_RE, "").replace(/^[“"《〈]/, "");
  // "XX县人民政府信息公开…": the 政府 of the agency was taken for the 政府 of 政府信息公开.
  if (a.endsWith("人民")) a += "政府";
  // A breadcrumb's last column (…>政府信息公开年报) joined to the title line below it.
  const unchromed = a.replace(CHROME_PREFIX_RE, "");
  return unchromed.length > 0 ? unchromed : a;
}

/** A title in `joined`: its agency checked; a title with no agency at all keeps agency null. */
function matchTitle(joined: string): TitleMatch | null {
  const a = AGENCY_FIRST_RE.exec(joined);
  if (a && (a[1] as string).replace(PREFIX_RE, "").replace(MARKUP_RE, "") !== "") {
    const agency = cleanAgency(a[1] as string);
    const title = `${agency}${a[0].slice((a[1] as string).length)}`;
    if (isBodyName(agency)) return { agency, year: Number(a[2]), title, rejected: null };
    return { agency: null, year: Number(a[2]), title: null, rejected: agency };
  }
  const stripped = joined.replace(PREFIX_RE, "").replace(MARKUP_RE, "");
  const only = YEAR_ONLY_RE.exec(stripped);
  if (only) return { agency: null, year: Number(only[1]), title: only[0], rejected: null };
  const b = YEAR_FIRST_RE.exec(stripped);
  if (b) {
    const agency = cleanAgency(b[2] as string);
    if (isBodyName(agency)) return { agency, year: Number(b[1]), title: b[0].replace(b[2] as string, agency), rejected: null };
    return { agency: null, year: Number(b[1]), title: null, rejected: agency };
  }
  return null;
}

/**
 * The title among the top lines. It may be wrapped over up to three short lines, start with
 * the year (2024年XX局政府信息公开工作年度报告), or open the first sentence (XX办公室2021年政府
 * 信息公开工作年度报告(以下简称年报)是根据…). A match whose agency is not a body's name (a
 * breadcrumb joined to the title, 编制我单位) does not end the search; the first is kept.
 * Lines join only to complete a name: a title line with its own name stands alone.
 */
function findTitle(lines: readonly string[]): { match: TitleMatch | null; firstRejected: TitleMatch | null; line: number } {
  let firstRejected: TitleMatch | null = null;
  for (let i = 0; i < Math.min(lines.length, 40); i++) {
    for (let k = 1; k <= 3 && i + k <= lines.length; k++) {
      const part = lines.slice(i, i + k);
      // Only short lines join into a title; a sentence is read on its own (k = 1).
      if (k > 1 && part.some((l) => l.length > 45)) break;
      const joined = part.join("");
      if (!/信息公开(?:工作)?年度报告/.test(joined)) continue;
      // A title that names its body on its own lines takes nothing from the line above it
      // (a site name, a breadcrumb): it is read when the search gets to its first line.
      if (k > 1 && matchTitle(part.slice(1).join(""))?.agency) break;
      const m = matchTitle(joined);
      if (!m) continue;
      if (m.title !== null) return { match: m, firstRejected, line: i };
      // A line joined from above that spoils the name (a date, a breadcrumb) is not the
      // report naming itself: only a single line's phrase counts as rejected.
      if (k === 1) firstRejected ??= m;
    }
  }
  return { match: null, firstRejected, line: -1 };
}

// ------------------------------------------------------------------------------- sentences

/** Words that follow a body's name as the subject of a report's sentence (XX局坚持…). */
const PREDICATE_RE =
  /^(?:坚持|认真|深入|全面|积极|始终|紧紧|严格|持续|以|按照|根据|依据|依照|在|紧扣|围绕|高度|进一步|不断|切实|扎实|聚焦|贯彻|继续|着力|立足|共|主动|编制|制作|发布|公开|把|将|对|结合|强化|加强|推进|深化|落实|大力|重视|认真|全年|本年|本年度|年内|政府信息公开工作|信息公开工作|的政府信息公开)/;
/** 由XX编制 / 由XX根据…: the body that made the report. */
const MADE_BY_RE = /由(.{2,40}?)(?:根据|依据|依照|按照|负责|组织|牵头|编制|制作)/;
/** A clause opening with the year of the work it reports: 2023年，… / 2023年以来，… / 2023年度，… */
const DATED_CLAUSE_RE = /^((?:19|20)\d{2})年(?:(?:度|以来|全年)[，,]?|[，,])/;
/** Lines of a page's chrome and metadata block: never sentences of the report. */
const CHROME_LINE_RE = /网站|首页|当前位置|您的位置|发布时间|发布日期|字号|打印|索引号|浏览次数|访问量|来源[:：]|发布机构|分享到/;

/** The body a clause names as its subject or as the report's maker, if any. */
function nameInClause(clause: string): string | null {
  const titled = matchTitle(clause.replace(/^.*?(?:现将|现予?公布|特?发布|公开)/, ""));
  if (titled?.agency) return titled.agency;
  const made = MADE_BY_RE.exec(clause);
  if (made && isBodyName(made[1] as string)) return made[1] as string;
  const head = clause.replace(DATED_CLAUSE_RE, "");
  for (let e = Math.min(head.length, 40); e >= 2; e--) {
    const name = head.slice(0, e);
    if (!ENDINGS.some((x) => plain(name).endsWith(x))) continue;
    if (PREDICATE_RE.test(head.slice(e)) && isBodyName(name)) return name;
  }
  return null;
}

/** The report's opening sentences, in order (chrome and metadata lines skipped). */
function openingSentences(lines: readonly string[]): string[] {
  return lines
    .filter((l) => /[，,。；;]/.test(l) && !CHROME_LINE_RE.test(l))
    .join("")
    .split(/[。；;！!？?]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .slice(0, 30);
}

const clausesOf = (sentence: string) => sentence.split(/[，,：:]/).filter((c) => c.length > 0);

// ------------------------------------------------------------------------------- metadata

/** The page's own metadata: 发布机构：XX县人民政府办公室, 来源：XX局. */
const METADATA_RE = /(?:发布机构|发布单位|发布机关|发文机关|发文单位|信息来源|文章来源|来源|公开主体|主办单位)[:：]\s*([^\s|:：，,。]{2,40})/g;

/** The next field of a metadata block, when the page runs the fields together without spaces. */
const NEXT_FIELD_RE = /(?:发布|生成|成文|印发)(?:日期|时间)|索引号|文号|主题分类|分类|浏览次数|点击|字号|作者/;

function nameInMetadata(lines: readonly string[]): string | null {
  for (const l of lines) {
    for (const m of l.matchAll(METADATA_RE)) {
      const value = (m[1] as string).split(NEXT_FIELD_RE)[0] as string;
      if (isBodyName(value)) return value;
    }
  }
  return null;
}

// ------------------------------------------------------------------------------- identity

/**
 * Title, agency and year from the top of the document. `stopLine` ends the title search
 * (the overview heading or the first table); `proseStopLine` ends the search for the first
 * sentences and the metadata (the first table).
 */
export function findIdentity(stream: TokenStream, stopLine: number, proseStopLine = stopLine): Identity {
  const textLines = stream.lines.filter((l) => !l.inGrid);
  // A page whose whole body is one line (title, sentences and table run together) still has
  // its title and first sentences at the start of that line.
  const upTo = (stop: number) => {
    const before = textLines.filter((l) => l.line < stop);
    return before.length > 0 ? before : textLines.slice(0, 1);
  };
  const lines = upTo(stopLine).map((l) => nfkc(l.text).replace(/\s+/g, ""));
  const prose = upTo(Math.max(stopLine, proseStopLine))
    .slice(0, 80)
    .map((l) => nfkc(l.text).trim());
  const { match, firstRejected } = findTitle(lines);
  const id: Identity = { title: match?.title ?? null, agency: match?.agency ?? null, year: match?.year ?? firstRejected?.year ?? null, findings: [], agencySource: null };
  if (id.agency) id.agencySource = "title";
  const sentences = openingSentences(prose.map((l) => l.replace(/\s+/g, "")));
  if (!id.agency) {
    for (const c of sentences.flatMap(clausesOf)) {
      const name = nameInClause(c);
      if (name) {
        id.agency = name;
        id.agencySource = "sentence";
        break;
      }
    }
  }
  if (!id.agency) {
    const name = nameInMetadata(prose);
    if (name) {
      id.agency = name;
      id.agencySource = "metadata";
    }
  }
  if (id.year === null) {
    for (const c of sentences) {
      const m = DATED_CLAUSE_RE.exec(c);
      if (m && m[0].length < c.length) {
        id.year = Number(m[1]);
        break;
      }
    }
  }
  // The year reported on is the 统计期限; the title's year is the fallback.
  const top = lines.slice(0, 60).join("");
  const period = /统计(?:期限|时限|时间|区间|周期)[^0-9]{0,12}((?:19|20)\d{2})年/.exec(top);
  if (period) id.year = Number(period[1]);
  if (!id.agency) {
    const why = firstRejected?.rejected
      ? `the report names itself «${firstRejected.rejected}» before its title, which is not a body's name, and no sentence or page metadata names the body`
      : "nothing names the body: not the title, the first sentences nor the page metadata";
    id.findings.push({ rule: "I1", severity: "warning", path: "agency", message: `${why}; agency is null` });
  }
  return id;
}
