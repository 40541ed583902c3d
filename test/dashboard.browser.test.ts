/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core), fed by a real
 * pipeline run: `nianbao worker`, `nianbao watch` and `nianbao dashboard` as child processes,
 * corpus files dropped into the inbox — invalid reports (s001, s003, s007), a valid one, a
 * 2019-format one, a truncated PDF, and a report whose text carries `<script>` and an
 * attribute-breaking `"><img onerror>` (also quoted into an R7 finding, so into a title="").
 *
 * It logs in, sees the three queues in bull-board, opens an invalid report and finds the
 * highlighted cell, checks that the injected markup shows as text (no dialog, no element),
 * that no page breaks its CSP, and saves a screenshot of every page into test-artifacts/.
 *
 * NIANBAO_SCREENSHOTS=docs/screenshots runs it on the whole corpus and writes the README's
 * screenshots there.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { PIPELINE_VERSION, sha256 } from "../src/process.js";
import { openStore } from "../src/store/index.js";
import type { OutputStore } from "../src/store/types.js";
import { StageQueues } from "../queues/connection.js";
import { CORPUS } from "./support/corpus.js";
import { ARTIFACTS, freePort, pipelineEnv, startCli, stop, uniquePrefix, waitFor, type Proc } from "./support/pipeline.js";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = process.env["NIANBAO_SCREENSHOTS"] ? resolve(process.env["NIANBAO_SCREENSHOTS"]) : null;
const USER = "auditor";
const PASSWORD = "correct horse battery staple";
const SYNTHETIC = join(CORPUS, "synthetic");
const FILES = ["s001.docx", "s003.pdf", "s007.txt", "s019.html", "s002.html"];

/** s019.html with markup in its prose, written as entities so that it is text, not tags, in the source. */
function injectedReport(): Buffer {
  const page = readFileSync(join(SYNTHETIC, "s019.html"), "utf8");
  const injection = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;区政府共受理政府信息公开申请999件。";
  const anchor = "<p class=\"h1\"><strong>一、总体情况</strong></p>\n<p>";
  if (!page.includes(anchor)) throw new Error("s019.html changed: update the injection anchor");
  return Buffer.from(page.replace(anchor, anchor + injection), "utf8");
}

/** Waits for a locator to be visible (playwright-core has no expect of its own). */
const visible = (l: Locator, timeout = 5000) => l.waitFor({ state: "visible", timeout });
/** The computed background of an element (the tests are compiled without the DOM types, hence the cast). */
type WithStyle = { getComputedStyle(el: unknown): { backgroundColor: string } };
const background = (l: Locator) => l.evaluate((el) => (globalThis as unknown as WithStyle).getComputedStyle(el).backgroundColor);

if (!existsSync(CHROMIUM)) {
  console.warn(`dashboard.browser.test.ts: skipped, ${CHROMIUM} is missing (apt-get install -y chromium; .ci/services.sh installs it)`);
}

describe.skipIf(!existsSync(CHROMIUM))("the dashboard in a browser", () => {
  const prefix = uniquePrefix("b");
  const root = mkdtempSync(join(tmpdir(), "nianbao-browser-"));
  const inbox = join(root, "inbox");
  const storeUrl = join(root, "out");
  const procs: Proc[] = [];
  const dialogs: string[] = [];
  const consoleErrors: { url: string; text: string }[] = [];
  const shas = new Map<string, string>(); // file → sha256
  let env: Record<string, string>;
  let store: OutputStore;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  /** Saves a screenshot of the page (or of one element) to test-artifacts/, and to NIANBAO_SCREENSHOTS if set. */
  async function shot(name: string, opts: { fullPage?: boolean; of?: Locator } = {}): Promise<void> {
    const take = (path: string) => (opts.of ? opts.of.screenshot({ path }) : page.screenshot({ path, fullPage: opts.fullPage ?? false }));
    mkdirSync(ARTIFACTS, { recursive: true });
    await take(join(ARTIFACTS, `dashboard-${name}.png`));
    if (SCREENSHOTS) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const file = join(SCREENSHOTS, `${name}.png`);
      await take(file);
      expect(statSync(file).size, `${file} stays under 300 KB`).toBeLessThan(300 * 1024);
    }
  }

  beforeAll(async () => {
    const port = await freePort();
    env = pipelineEnv(prefix, storeUrl, {
      INBOX: inbox,
      CONCURRENCY: "2",
      POLL_INTERVAL_MS: "200",
      DASHBOARD_PORT: String(port),
      DASHBOARD_USER: USER,
      DASHBOARD_PASSWORD: PASSWORD,
    });
    base = `http://127.0.0.1:${port}`;
    store = openStore(storeUrl);
    await store.init();
    mkdirSync(join(inbox, "2023"), { recursive: true });
    const drop = (key: string, bytes: Buffer) => {
      writeFileSync(join(inbox, ...key.split("/")), bytes);
      shas.set(key, sha256(bytes));
    };
    const files = SCREENSHOTS
      ? [
          ...readdirSync(SYNTHETIC).filter((f) => !f.endsWith(".json")).map((f) => join("synthetic", f)),
          ...readdirSync(join(CORPUS, "real")).filter((f) => !f.endsWith(".json") && !f.endsWith(".md")).map((f) => join("real", f)),
          join("seed", "jingzhouqu-2021.txt"),
        ]
      : FILES.map((f) => join("synthetic", f));
    for (const f of files) drop(f.split("/").pop() as string, readFileSync(join(CORPUS, f)));
    drop("xss.html", injectedReport());
    drop("2023/truncated.pdf", readFileSync(join(SYNTHETIC, "s011.pdf")).subarray(0, 3000));

    procs.push(startCli(`${prefix}-dashboard`, ["dashboard"], env));
    procs.push(startCli(`${prefix}-worker`, ["worker"], env));
    procs.push(startCli(`${prefix}-watch`, ["watch", inbox], env));
    await waitFor("the dashboard", async () => (await fetch(`${base}/healthz`)).ok, 30_000);
    const good = [...shas.entries()].filter(([k]) => k !== "2023/truncated.pdf").map(([, s]) => s);
    await waitFor("every result", async () => (await Promise.all(good.map((s) => store.hasResult(s, PIPELINE_VERSION)))).every(Boolean), 150_000);
    await waitFor("the failure", async () => (await store.listFailures(5)).length >= 1, 30_000);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    context = await browser.newContext({ httpCredentials: { username: USER, password: PASSWORD }, viewport: { width: 1280, height: 800 }, locale: "en-US" });
    page = await context.newPage();
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push({ url: page.url(), text: m.text() });
    });
    page.on("pageerror", (e) => consoleErrors.push({ url: page.url(), text: `pageerror: ${e.message}` }));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(procs.map((p) => stop(p)));
    const queues = new StageQueues(loadConfig(env), "producer");
    for (const q of Object.values(queues.queues)) await q.obliterate({ force: true }).catch(() => undefined);
    await queues.close();
    await store?.close();
  }, 60_000);

  it("asks for credentials, and refuses wrong ones", async () => {
    const anonymous = await browser.newContext();
    const r = await anonymous.request.get(`${base}/`);
    expect(r.status()).toBe(401);
    expect(r.headers()["www-authenticate"]).toContain("Basic");
    await anonymous.close();
    const wrong = await browser.newContext({ httpCredentials: { username: USER, password: "wrong" } });
    expect((await wrong.request.get(`${base}/queues`)).status()).toBe(401);
    await wrong.close();
  });

  it("shows the three queues in bull-board", async () => {
    await page.goto(`${base}/queues`);
    for (const q of ["extract", "reconstruct", "store"]) await visible(page.getByRole("link", { name: q, exact: true }).first(), 15_000);
    // the overview cards, with their job counts, once loaded
    await visible(page.getByText(/^\d+ Jobs?$/).first(), 15_000);
    await shot("queues");
    // the failed extraction is listed on its queue, with its reason
    await page.goto(`${base}/queues/queue/extract?status=failed`);
    await visible(page.getByText(/corrupt: PDF cannot be parsed/).first(), 15_000);
    await shot("queue-failed");
  });

  it("shows the overview with its charts", async () => {
    await page.goto(`${base}/`);
    await visible(page.locator("#by-year"));
    expect(await page.locator("svg.chart").count()).toBe(2);
    expect((await page.locator('tr[data-year="2023"] td[data-status="failed"]').textContent())?.trim()).toBe("1");
    await shot("overview", { fullPage: true });
  });

  it("finds an agency and opens its invalid report with the rule-breaking cell highlighted", async () => {
    await page.goto(`${base}/search`);
    // the README's screenshot shows a longer list
    await page.getByRole("searchbox").fill(SCREENSHOTS ? "市" : "松泉市发展和改革");
    await page.getByRole("button", { name: "Search" }).click();
    await visible(page.locator("#results"));
    await shot("search");
    await page.locator(`#results a[href="/reports/${shas.get("s001.docx")}"]`).click();
    await page.waitForURL(new RegExp(`/reports/${shas.get("s001.docx")}$`));
    expect(await page.locator("h1 .badge").textContent()).toBe("invalid");
    const cell = page.locator('td[data-path="applications.totalProcessed.naturalPerson"]');
    await visible(cell);
    expect(await cell.getAttribute("class")).toMatch(/bad-error/);
    expect(await cell.getAttribute("title")).toMatch(/R1/);
    // highlighted means visibly so: the error background, not the white of the other cells
    expect(await background(cell)).not.toBe(await background(page.locator('td[data-path="applications.carriedOver.naturalPerson"]')));
    await shot("report");
    // its finding is listed beside the table, and the cell links to it
    await cell.locator("sup a").first().click();
    expect(await page.locator("#table-applications aside li:target").textContent()).toContain("R1");
    await shot("report-applications", { of: page.locator("#table-applications") });
    // the JSON and the original
    const json = await page.request.get(`${base}/reports/${shas.get("s001.docx")}/json`);
    expect(json.ok()).toBe(true);
    const original = await page.request.get(`${base}/reports/${shas.get("s001.docx")}/source`);
    expect(sha256(Buffer.from(await original.body()))).toBe(shas.get("s001.docx"));
  });

  it("renders a 2019-format report in its own layout", async () => {
    await page.goto(`${base}/reports/${shas.get("s002.html")}`);
    expect(await page.locator('table[data-table="proactive"]').textContent()).toContain("政府集中采购");
    expect(await page.locator('table[data-table="applications"]').textContent()).toContain("（六）其他处理");
  });

  it("shows markup from a document as text: no script runs, no element appears", async () => {
    await page.goto(`${base}/reports/${shas.get("xss.html")}`);
    await visible(page.getByText('<script>alert(1)</script>"><img src=x onerror=alert(2)>', { exact: false }).first());
    expect(await page.locator("script").count()).toBe(0);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    // quoted into R7's message, so into a title attribute and the findings list
    const cell = page.locator('td[data-path="applications.newReceived.total"]');
    expect(await cell.getAttribute("class")).toMatch(/bad-warning/);
    expect(await cell.getAttribute("title")).toContain('<script>alert(1)</script>"><img src=x onerror=alert(2)>');
    await page.getByText("<script>alert(1)</script>", { exact: false }).first().scrollIntoViewIfNeeded();
    await shot("escaped");
    await page.waitForTimeout(500);
    expect(dialogs).toEqual([]);
  });

  it("shows the coverage of a year", async () => {
    await page.goto(`${base}/coverage?year=2023`);
    expect(await page.locator("#missing").textContent()).toContain("松泉市发展和改革委员会");
    await shot("coverage");
  });

  it("broke no content security policy, and ran no dialog", () => {
    // bull-board links a web font; the CSP blocks it (no third-party requests), as intended
    const unexpected = consoleErrors.filter((e) => !(e.url.includes("/queues") && e.text.includes("fonts.googleapis.com")));
    expect(unexpected).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
