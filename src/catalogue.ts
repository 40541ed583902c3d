/**
 * The official labels of the three statistics tables, written once, as data.
 *
 * Sources: 国办公开办函〔2019〕60号 (the "2019 format") and 国办公开办函〔2021〕30号 (the
 * "2021 format"). The reconstructor matches printed labels against these rows; the validator
 * walks the same rows to check the arithmetic; the CSV writer names cells by them. Nothing
 * else in the code spells a label out.
 */

export type ReportFormat = "2021" | "2019";
export type TableId = "proactive" | "applications" | "reviewLitigation";

/** A value column of a row: the model field and its printed column label. */
export interface FieldDef {
  key: string;
  label: string;
  /** "count": integer ≥ 0; "signed": integer, may be negative (2019 本年增/减); "amount": decimal ≥ 0. */
  kind: "count" | "signed" | "amount";
}

/** A row of a table: where its values go in the model and how it is labelled. */
export interface RowDef {
  /** Dotted path under the table, e.g. "withheld.stateSecret". */
  path: string;
  /** The official leaf label, with its enumerator as printed in the notice. */
  label: string;
  /** Other printed forms seen in real reports (a shortened or older label). */
  aliases?: readonly string[];
  fields: readonly FieldDef[];
}

/**
 * How the reconstructor aligns a table's runs of values to its rows (src/reconstruct/align.ts):
 *
 * - "runs": in printed order, each run of values to the rows its label and width fit;
 * - "ordered-then-label": as "runs", then the rows the order cannot place are read by their
 *   label (for a table whose row labels are all distinct and whose small blocks get moved);
 * - "runs-then-one-run": as "runs", and where a row came out in pieces, the whole region is
 *   read as one run (for a table with no row labels of its own).
 */
export type AlignStrategy = "runs" | "ordered-then-label" | "runs-then-one-run";

/**
 * A sum inside every row of a table, by column index within a group of `width` columns: the
 * cell at `total` is the sum of the cells at `parts`. A row read as several groups side by
 * side (table 四 as one run) has the sum in each group. The validator checks it (`rule`) and
 * the reconstructor uses it to split digits that ran together.
 */
export interface RowSum {
  rule: "R3" | "R4";
  width: number;
  total: number;
  parts: readonly number[];
}

export interface TableDef {
  id: TableId;
  /** Section heading of the table in the report. */
  heading: string;
  rows: readonly RowDef[];
  /** How its region is aligned to its rows (reconstruct policy). */
  strategy: AlignStrategy;
  /**
   * Whether a row label printed with no values after it is a blank row (its cells null), and
   * the text after a run of values is evidence of its row too. False for a table whose labels
   * are column-group headers rather than row labels (table 四).
   */
  labelledRows: boolean;
  /** The sum inside each of its rows, if any. */
  sums?: RowSum;
}

// ------------------------------------------------------------------------------- columns
const APPLICANT_FIELDS: readonly FieldDef[] = [
  { key: "naturalPerson", label: "自然人", kind: "count" },
  { key: "commercialEnterprise", label: "商业企业", kind: "count" },
  { key: "researchInstitution", label: "科研机构", kind: "count" },
  { key: "socialWelfareOrganization", label: "社会公益组织", kind: "count" },
  { key: "legalServiceAgency", label: "法律服务机构", kind: "count" },
  { key: "other", label: "其他", kind: "count" },
  { key: "total", label: "总计", kind: "count" },
];

const OUTCOME_FIELDS: readonly FieldDef[] = [
  { key: "maintained", label: "结果维持", kind: "count" },
  { key: "corrected", label: "结果纠正", kind: "count" },
  { key: "other", label: "其他结果", kind: "count" },
  { key: "pending", label: "尚未审结", kind: "count" },
  { key: "total", label: "总计", kind: "count" },
];

const DOCS_2021: readonly FieldDef[] = [
  { key: "issued", label: "本年制发件数", kind: "count" },
  { key: "repealed", label: "本年废止件数", kind: "count" },
  { key: "inForce", label: "现行有效件数", kind: "count" },
];
const DECISIONS_2021: readonly FieldDef[] = [{ key: "decisions", label: "本年处理决定数量", kind: "count" }];

const DOCS_2019: readonly FieldDef[] = [
  { key: "newlyMade", label: "本年新制作数量", kind: "count" },
  { key: "newlyPublished", label: "本年新公开数量", kind: "count" },
  { key: "totalPublished", label: "对外公开总数量", kind: "count" },
];
const ITEMS_2019: readonly FieldDef[] = [
  { key: "previousYearItems", label: "上一年项目数量", kind: "count" },
  { key: "change", label: "本年增/减", kind: "signed" },
  { key: "decisions", label: "处理决定数量", kind: "count" },
];

// ------------------------------------------------------------------------------- table 二
/** Table 二's row labels are all distinct, and its small blocks get moved. */
const PROACTIVE_POLICY = { strategy: "ordered-then-label", labelledRows: true } as const;

const PROACTIVE_2021: TableDef = {
  id: "proactive",
  heading: "二、主动公开政府信息情况",
  ...PROACTIVE_POLICY,
  rows: [
    { path: "regulations", label: "规章", fields: DOCS_2021 },
    { path: "normativeDocuments", label: "行政规范性文件", aliases: ["规范性文件"], fields: DOCS_2021 },
    { path: "licensing", label: "行政许可", fields: DECISIONS_2021 },
    { path: "punishment", label: "行政处罚", fields: DECISIONS_2021 },
    { path: "coercion", label: "行政强制", fields: DECISIONS_2021 },
    {
      path: "fees",
      label: "行政事业性收费",
      fields: [{ key: "amount", label: "本年收费金额（单位：万元）", kind: "amount" }],
    },
  ],
};

const PROACTIVE_2019: TableDef = {
  id: "proactive",
  heading: "二、主动公开政府信息情况",
  ...PROACTIVE_POLICY,
  rows: [
    { path: "regulations", label: "规章", fields: DOCS_2019 },
    { path: "normativeDocuments", label: "规范性文件", aliases: ["行政规范性文件"], fields: DOCS_2019 },
    { path: "licensing", label: "行政许可", fields: ITEMS_2019 },
    { path: "otherServices", label: "其他对外管理服务事项", fields: ITEMS_2019 },
    { path: "punishment", label: "行政处罚", fields: ITEMS_2019 },
    { path: "coercion", label: "行政强制", fields: ITEMS_2019 },
    { path: "fees", label: "行政事业性收费", fields: ITEMS_2019.slice(0, 2) },
    {
      path: "procurement",
      label: "政府集中采购",
      fields: [
        { key: "projects", label: "采购项目数量", kind: "count" },
        { key: "amount", label: "采购总金额", kind: "amount" },
      ],
    },
  ],
};

// ------------------------------------------------------------------------------- table 三
const row3 = (path: string, label: string, aliases?: string[]): RowDef => ({
  path,
  label,
  fields: APPLICANT_FIELDS,
  ...(aliases ? { aliases } : {}),
});

const APPLICATIONS_HEAD: readonly RowDef[] = [
  row3("newReceived", "一、本年新收政府信息公开申请数量"),
  row3("carriedOver", "二、上年结转政府信息公开申请数量"),
  row3("granted", "（一）予以公开"),
  row3("partiallyGranted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
  row3("withheld.stateSecret", "1.属于国家秘密"),
  row3("withheld.prohibitedByLaw", "2.其他法律行政法规禁止公开"),
  row3("withheld.threeSecuritiesOneStability", "3.危及“三安全一稳定”"),
  row3("withheld.thirdPartyRights", "4.保护第三方合法权益"),
  row3("withheld.internalAffairs", "5.属于三类内部事务信息"),
  row3("withheld.processInformation", "6.属于四类过程性信息"),
  row3("withheld.lawEnforcementFiles", "7.属于行政执法案卷"),
  row3("withheld.administrativeQuery", "8.属于行政查询事项"),
  row3("unableToProvide.notHeld", "1.本机关不掌握相关政府信息"),
  row3("unableToProvide.needsCreation", "2.没有现成信息需要另行制作"),
  row3("unableToProvide.unclearAfterCorrection", "3.补正后申请内容仍不明确"),
  row3("notProcessed.complaintOrPetition", "1.信访举报投诉类申请"),
  row3("notProcessed.duplicate", "2.重复申请"),
  row3("notProcessed.publication", "3.要求提供公开出版物"),
  row3("notProcessed.massiveRepeated", "4.无正当理由大量反复申请"),
  row3("notProcessed.confirmationRequest", "5.要求行政机关确认或重新出具已获取信息"),
];
const APPLICATIONS_TAIL: readonly RowDef[] = [
  row3("totalProcessed", "（七）总计"),
  row3("carriedForward", "四、结转下年度继续办理"),
];

/** 2019: （六）其他处理 is one row. 2021 reports that still print it so use the same row. */
const OTHER_HANDLING_SINGLE = row3("otherHandling", "（六）其他处理", ["（六）其他"]);

/** R3: in every row of table 三, 总计 is the sum of the six applicant columns. */
const APPLICATIONS_POLICY = {
  strategy: "runs",
  labelledRows: true,
  sums: { rule: "R3", width: APPLICANT_FIELDS.length, total: 6, parts: [0, 1, 2, 3, 4, 5] },
} as const satisfies Partial<TableDef>;

const APPLICATIONS_2021: TableDef = {
  id: "applications",
  heading: "三、收到和处理政府信息公开申请情况",
  ...APPLICATIONS_POLICY,
  rows: [
    ...APPLICATIONS_HEAD,
    row3("otherHandling.overdueCorrection", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    row3("otherHandling.overdueFee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    row3("otherHandling.other", "3.其他"),
    ...APPLICATIONS_TAIL,
  ],
};

const APPLICATIONS_2019: TableDef = {
  id: "applications",
  heading: "三、收到和处理政府信息公开申请情况",
  ...APPLICATIONS_POLICY,
  rows: [...APPLICATIONS_HEAD, OTHER_HANDLING_SINGLE, ...APPLICATIONS_TAIL],
};

/**
 * A 2021-format table printed with the 2019 single （六）其他处理 row. Reconstruction reads it
 * with these rows, then spreads the printed row onto the three 2021 sub-rows (spec).
 */
export const APPLICATIONS_2021_COLLAPSED: TableDef = {
  id: "applications",
  heading: APPLICATIONS_2021.heading,
  ...APPLICATIONS_POLICY,
  rows: [...APPLICATIONS_HEAD, { ...OTHER_HANDLING_SINGLE, path: "otherHandlingAsPrinted" }, ...APPLICATIONS_TAIL],
};

/** The merged cell over table 三's outcome rows （一）…（七）. */
export const APPLICATIONS_OUTCOMES_LABEL = "三、本年度办理结果";

/** The merged parent cell over each group of nested rows in table 三, by the group's path. */
export const APPLICATIONS_GROUP_LABELS: Readonly<Record<string, string>> = {
  withheld: "（三）不予公开",
  unableToProvide: "（四）无法提供",
  notProcessed: "（五）不予处理",
  otherHandling: "（六）其他处理",
};

/** Labels of merged parent cells in table 三: printed, but they name no row of their own. */
export const APPLICATIONS_PARENT_LABELS: readonly string[] = [APPLICATIONS_OUTCOMES_LABEL, ...Object.values(APPLICATIONS_GROUP_LABELS)];

// ------------------------------------------------------------------------------- table 四
/**
 * Table 四 has no row labels (its group names head columns): where its data row came out in
 * pieces, it is read as one run. R4: in each group, 总计 is the sum of the four outcomes.
 */
const REVIEW_LITIGATION: TableDef = {
  id: "reviewLitigation",
  heading: "四、政府信息公开行政复议、行政诉讼情况",
  strategy: "runs-then-one-run",
  labelledRows: false,
  sums: { rule: "R4", width: OUTCOME_FIELDS.length, total: 4, parts: [0, 1, 2, 3] },
  rows: [
    { path: "review", label: "行政复议", fields: OUTCOME_FIELDS },
    { path: "litigationDirect", label: "未经复议直接起诉", fields: OUTCOME_FIELDS },
    { path: "litigationAfterReview", label: "复议后起诉", fields: OUTCOME_FIELDS },
  ],
};

export const CATALOGUE: Record<ReportFormat, Record<TableId, TableDef>> = {
  "2021": { proactive: PROACTIVE_2021, applications: APPLICATIONS_2021, reviewLitigation: REVIEW_LITIGATION },
  "2019": { proactive: PROACTIVE_2019, applications: APPLICATIONS_2019, reviewLitigation: REVIEW_LITIGATION },
};

export const TABLE_IDS: readonly TableId[] = ["proactive", "applications", "reviewLitigation"];

/** The applicant columns of table 三, in printed order (the last is 总计). */
export const APPLICANT_COLUMNS = APPLICANT_FIELDS;
export const OUTCOME_COLUMNS = OUTCOME_FIELDS;

/**
 * Labels printed only in one format. Format detection counts them; it never looks at the year.
 * Column labels of table 二 are the strongest signal; the 2021 （六） sub-rows the next.
 */
export const FORMAT_MARKERS: Record<ReportFormat, readonly string[]> = {
  "2021": [
    "本年制发件数",
    "本年废止件数",
    "现行有效件数",
    "本年收费金额",
    "本年处理决定数量",
    "申请人无正当理由逾期不补正",
    "申请人逾期未按收费通知要求缴纳费用",
  ],
  "2019": [
    "本年新制作数量",
    "本年新公开数量",
    "对外公开总数量",
    "上一年项目数量",
    "本年增/减",
    "其他对外管理服务事项",
    "政府集中采购",
    "采购项目数量",
    "采购总金额",
  ],
};

/**
 * Header cells of the templates that name no row or value column: the banners and merged
 * headers of the printed layout. Reconstruction anchors on some of them; the results view
 * renders the official layout from them.
 */
export const HEADER_LABELS = {
  /** Table 二: over the row labels of each clause block. */
  proactiveContent: "信息内容",
  /** Table 三: the merged top-left cell. */
  applicationsNote: "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
  /** Table 三: over the seven applicant columns. */
  applicants: "申请人情况",
  /** Table 三: over the five applicant columns between 自然人 and 总计. */
  applicantOrganisations: "法人或其他组织",
  /** Table 四: over the three litigation groups' ten columns (行政复议 is its first row's label). */
  litigation: "行政诉讼",
} as const;

/**
 * Table 二 as printed: one banner per clause of Article 20 of the Regulations, over the rows it
 * covers, each block with its own header row (信息内容 and the rows' column labels).
 */
export const PROACTIVE_CLAUSES: Record<ReportFormat, readonly { clause: string; rows: readonly string[] }[]> = {
  "2021": [
    { clause: "第二十条第（一）项", rows: ["regulations", "normativeDocuments"] },
    { clause: "第二十条第（五）项", rows: ["licensing"] },
    { clause: "第二十条第（六）项", rows: ["punishment", "coercion"] },
    { clause: "第二十条第（八）项", rows: ["fees"] },
  ],
  "2019": [
    { clause: "第二十条第（一）项", rows: ["regulations", "normativeDocuments"] },
    { clause: "第二十条第（五）项", rows: ["licensing", "otherServices"] },
    { clause: "第二十条第（六）项", rows: ["punishment", "coercion"] },
    { clause: "第二十条第（八）项", rows: ["fees"] },
    { clause: "第二十条第（九）项", rows: ["procurement"] },
  ],
};

/** Anchors that open each table in the text, and the prose section headings. */
export const TABLE_ANCHORS: Record<TableId, readonly string[]> = {
  proactive: [PROACTIVE_CLAUSES["2021"][0]!.clause, HEADER_LABELS.proactiveContent],
  applications: [HEADER_LABELS.applicationsNote, HEADER_LABELS.applicants],
  reviewLitigation: [REVIEW_LITIGATION.rows[0]!.label, HEADER_LABELS.litigation],
};

export type SectionId = "overview" | "proactive" | "applications" | "reviewLitigation" | "problems" | "other";

/**
 * Section headings, each as the key phrases a heading line must contain (all of them).
 * Real reports reword headings (存在问题及改进情况, 行政复议和行政诉讼情况), so the phrases are
 * the stable cores; a heading line must also be short, which keeps table 三's row labels
 * (一、本年新收… 四、结转下年度继续办理) from passing for headings.
 */
export const SECTION_HEADINGS: Record<SectionId, readonly (readonly string[])[]> = {
  overview: [["总体情况"], ["概述"]],
  proactive: [["主动公开政府信息情况"], ["主动公开", "情况"]],
  applications: [["收到和处理政府信息公开申请情况"], ["依申请公开", "情况"], ["政府信息公开申请", "情况"]],
  reviewLitigation: [["行政复议", "行政诉讼"], ["复议", "诉讼", "情况"]],
  problems: [["存在", "问题"], ["问题", "改进"]],
  other: [["其他需要报告的事项"], ["其他需要报告"]],
};

/**
 * Pre-2019 section headings (legacy reports, the 2008 Regulations' seven sections), each as
 * alternative phrases: a short heading line containing any one of them. Checked in this order;
 * `fees` (收费及减免) and the attachment have no place in the model but end the section before.
 */
export const LEGACY_HEADINGS: Record<SectionId | "fees", readonly string[]> = {
  overview: ["概述", "概况"],
  proactive: ["主动公开政府信息", "主动公开情况"],
  applications: ["依申请公开"],
  fees: ["收费及减免", "收费和减免", "收费情况"],
  reviewLitigation: ["复议", "诉讼"],
  problems: ["存在的主要问题", "存在的问题", "存在问题", "不足", "改进措施"],
  other: ["其他需要报告"],
};

/** Lines that open the attachments of a legacy report (the statistics table): the sections end there. */
export const LEGACY_ATTACHMENT_MARKERS: readonly string[] = ["附件", "附表", "统计表", "指标名称", "统计指标"];

// ------------------------------------------------------------------------------- agency names

/**
 * How the name of a reporting body ends (README "Identity"). A name the report prints for
 * itself (淮安市人民政府, 洪泽区岔河镇人民政府, 上海市科委, 荆州市荆州区人民政府办公室) ends in one of
 * these; a phrase that does not (编制我单位, 政府信息公开年报) is not a body's name.
 */
export const BODY_SUFFIXES: readonly string[] = [
  "人民政府",
  "政府",
  "街道办事处",
  "办事处",
  "管理委员会",
  "委员会",
  "管委会",
  "工委",
  "委",
  "办公厅",
  "办公室",
  "办",
  "厅",
  "局",
  "署",
  "院",
  "中心",
  "处",
  "所",
  "站",
  "队",
  "部",
  "会",
  "馆",
  "社",
  "团",
  "园区",
];

/**
 * The endings of a place name. Titles often name the body by its place alone (淮安市2024年…,
 * 岔河镇2023年…), meaning its people's government: such a name is a body's name too.
 */
export const PLACE_SUFFIXES: readonly string[] = ["省", "自治区", "市", "自治州", "州", "盟", "县", "自治县", "旗", "区", "镇", "乡", "街道"];

/**
 * Words that are never part of a body's name: pronouns (本机关, 我局, 我单位 do not name the
 * body), and the chrome of a website or of the report itself (breadcrumbs, column names).
 */
export const NOT_IN_BODY_NAME: readonly string[] = [
  "我",
  "本机关",
  "本单位",
  "本部门",
  "信息公开",
  "年报",
  "年度报告",
  "首页",
  "当前位置",
  "您的位置",
  "网站",
  "栏目",
  "政务公开",
  "编制",
  "发布",
  "公布",
  "根据",
  "按照",
  "条例",
];

/** A name cannot start with these: a bare level (市政府, 县财政局), a determiner, a pronoun. */
export const NOT_BODY_NAME_START: readonly string[] = ["本", "该", "各", "全", "我", "省", "市", "县", "区", "镇", "乡", "街道", "政府", "上级", "有关", "相关"];
