// The dashboard in a real browser: Debian chromium, headless, driven by playwright-core (tests/dashboard/package.json).
// Loads the page served by wp_dashboard_live_server, sees the workers and the completed tasks appear live (pushed
// over the WebSocket), checks the phone layout has no horizontal overflow and that app-provided text is not
// interpreted as HTML, and saves screenshots (desktop and phone) as the test's artifacts.
//   node browser_test.mjs <dashboard URL> <artifact dir>
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

const [url, outDir] = process.argv.slice(2);
fs.mkdirSync(outDir, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.WP_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const fail = async (msg) => { console.error("FAIL: " + msg); await browser.close(); process.exit(1); };
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const blocked = [];
  page.on("request", (r) => { if (!r.url().startsWith(new URL(url).origin) && !r.url().startsWith("ws")) blocked.push(r.url()); });
  await page.goto(url, { waitUntil: "load" });
  if ((await page.title()) !== "My Workerpool Dashboard") await fail("title: " + (await page.title()));
  // Live: the workers appear, then completed tasks, without reloading the page.
  await page.waitForSelector("#workers tr.worker:nth-child(4)", { timeout: 30000 });
  await page.waitForFunction(() => {
    const c = document.querySelector('#task-status .chip[data-status="COMPLETED"] b');
    return c && Number(c.textContent) >= 20;
  }, null, { timeout: 30000 });
  await page.waitForSelector("#conn.on", { timeout: 10000 });
  const workerText = await page.textContent("#workers");
  if (!workerText.includes("TEE sim")) await fail("the TEE simulation label is missing");
  // The deals table is refreshed on its own cadence (not by the summary event): wait for it too.
  const dealDone = await page
    .waitForFunction(() => (document.querySelector("#deals")?.textContent ?? "").includes("20 / 20 completed"), null,
                     { timeout: 30000 })
    .then(() => true, () => false);
  if (!dealDone) await fail("deal progress: " + (await page.textContent("#deals")));
  const failure = await page.textContent("#failures");
  if (!failure.includes("<script>alert(1)</script>")) await fail("failure reason not shown as text: " + failure);
  if ((await page.$$("#failures script")).length !== 0) await fail("a failure reason was interpreted as HTML");
  if ((await page.$$("#throughput-chart rect.bar")).length === 0) await fail("no throughput bar");
  await page.screenshot({ path: path.join(outDir, "dashboard-desktop.png"), fullPage: true });

  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
  await phone.goto(url, { waitUntil: "load" });
  await phone.waitForSelector("#workers tr.worker", { timeout: 30000 });
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) await fail("the phone layout overflows horizontally by " + overflow + " px");
  await phone.screenshot({ path: path.join(outDir, "dashboard-phone.png"), fullPage: true });
  if (errors.length) await fail("page errors: " + errors.join("; "));
  if (blocked.length) await fail("requests to another origin: " + blocked.join(", "));
  console.log("ok: dashboard live in chromium; screenshots in " + outDir);
} catch (e) {
  await fail(String(e));
}
await browser.close();
