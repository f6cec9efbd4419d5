// The dashboard in a real browser: Debian chromium, headless, driven by playwright-core (tests/dashboard/package.json),
// against the core of a real pool (`iexec-pool up`, started by browser_test.sh). Loads the page, sees the workers,
// the owner's account read from the chain, then (once browser_test.sh created the deal) the tasks complete live on
// the open page (no reload), the throughput and the on-chain fill appear, a completed task's details show its
// history, replicates and finalize transaction; checks the phone layout has no horizontal overflow, that nothing is
// loaded from another origin and that /metrics carries the latency histograms; saves screenshots (desktop, task
// detail, phone) as the test's artifacts.
//   node browser_test.mjs <dashboard URL> <artifact dir> <ready file> <deal volume>
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

const [url, outDir, readyFile, volumeArg] = process.argv.slice(2);
const volume = Number(volumeArg || "1");
fs.mkdirSync(outDir, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.WP_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
let page = null;
const fail = async (msg) => {
  console.error("FAIL: " + msg);
  if (page) await page.screenshot({ path: path.join(outDir, "dashboard-failure.png"), fullPage: true }).catch(() => {});
  await browser.close();
  process.exit(1);
};
const step = (s) => console.log("browser: " + s);
const text = async (sel) => (await page.textContent(sel)) ?? "";
try {
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const origin = new URL(url).origin;
  const blocked = [];
  page.on("request", (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith("ws")) blocked.push(r.url()); });
  await page.goto(url, { waitUntil: "load" });
  if ((await page.title()) !== "My Workerpool Dashboard") await fail("title: " + (await page.title()));
  await page.evaluate(() => { window.__sameDocument = true; });

  // The pool before any deal: its workers alive, the live socket, the owner's account from the chain.
  await page.waitForFunction(() => document.querySelectorAll("#workers tr.worker td.state.alive").length >= 2, null,
                             { timeout: 60000 });
  await page.waitForSelector("#conn.on", { timeout: 20000 });
  await page.waitForFunction(() => /RLC/.test(document.querySelector("#account-stake")?.textContent ?? ""), null,
                             { timeout: 30000 }).catch(async () => fail("no account: " + (await text("#account-card"))));
  if (!(await text("#pool-address")).startsWith("0x")) await fail("no workerpool address");
  step("workers and account shown; stake " + (await text("#account-stake")));
  fs.writeFileSync(readyFile, "ready\n");

  // The deal (created by browser_test.sh now) completes on the open page.
  await page.waitForFunction((n) => {
    const c = document.querySelector('#task-status .chip[data-status="COMPLETED"] b');
    return c && Number(c.textContent) >= n;
  }, volume, { timeout: 420000 }).catch(async () => fail("tasks did not complete: " + (await text("#task-status"))));
  if (!(await page.evaluate(() => window.__sameDocument === true))) await fail("the page was reloaded");
  step("completed tasks shown live");
  await page.waitForFunction((n) => Number(document.querySelector("#throughput-hour")?.textContent) >= n, volume,
                             { timeout: 30000 }).catch(async () => fail("throughput: " + (await text("#tasks-card"))));
  if ((await page.$$("#throughput-chart rect.bar")).length === 0) await fail("no throughput bar");
  await page.waitForFunction((n) => (document.querySelector("#deals")?.textContent ?? "").includes(n + " / " + n + " completed"),
                             volume, { timeout: 30000 }).catch(async () => fail("deal progress: " + (await text("#deals"))));
  await page.waitForSelector("#fills tr.fill", { timeout: 30000 }).catch(async () => fail("no fill: " + (await text("#orders-card"))));
  const fill = await text("#fills tr.fill");
  if (!fill.includes(String(volume))) await fail("the fill does not show the deal's volume: " + fill);
  if (!(await text("#orders")).length) await fail("the open orders table is empty");
  step("throughput, deal progress and the on-chain fill shown");
  await page.screenshot({ path: path.join(outDir, "dashboard-desktop.png"), fullPage: true });

  // A completed task's details: history, replicate, the finalize transaction.
  await page.click('#recent tr.task[data-status="COMPLETED"] button.linkish');
  await page.waitForFunction(() => (document.querySelector("#detail-status")?.textContent ?? "").startsWith("COMPLETED"),
                             null, { timeout: 15000 }).catch(async () => fail("task detail: " + (await text("#task-detail"))));
  const events = await text("#detail-events");
  if (!events.includes("FINALIZED") || !events.includes("INITIALIZED")) await fail("task history: " + events);
  if ((await page.$$("#detail-replicates tbody tr")).length < 1) await fail("no replicate in the task detail");
  const intents = await text("#detail-intents");
  if (!/finalize/.test(intents) || !/0x[0-9a-f]{6}/.test(intents)) await fail("no finalize transaction: " + intents);
  await page.locator("#task-detail").screenshot({ path: path.join(outDir, "dashboard-task.png") });
  step("task detail shown");

  // /metrics: the latency histograms observed the deal.
  const metrics = await (await page.request.get(origin + "/metrics")).text();
  const count = (name) => Number((metrics.match(new RegExp("^" + name + "_count(?:\\{[^}]*\\})? (\\d+)", "m")) || [])[1] || 0);
  if (count("wp_scheduler_deal_to_completion_seconds") < volume) await fail("deal-to-completion histogram: " + count("wp_scheduler_deal_to_completion_seconds"));
  if (!/# TYPE wp_scheduler_assignment_latency_seconds histogram/.test(metrics)) await fail("no assignment histogram");
  if (!/wp_scheduler_intent_confirmation_seconds_count\{action="finalize"\} [1-9]/.test(metrics)) await fail("no finalize confirmation observed");

  // The phone layout.
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
  await phone.goto(url, { waitUntil: "load" });
  await phone.waitForSelector("#workers tr.worker", { timeout: 30000 });
  await phone.waitForSelector("#fills tr.fill", { timeout: 30000 });
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) await fail("the phone layout overflows horizontally by " + overflow + " px");
  await phone.screenshot({ path: path.join(outDir, "dashboard-phone.png"), fullPage: true });
  if (errors.length) await fail("page errors: " + errors.join("; "));
  if (blocked.length) await fail("requests to another origin: " + blocked.join(", "));
  console.log("ok: the dashboard of a real pool, live in chromium; screenshots in " + outDir);
} catch (e) {
  await fail(String(e));
}
await browser.close();
