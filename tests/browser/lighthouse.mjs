// Runs Lighthouse on one URL in Debian's Chromium (chrome-launcher: headless, no sandbox, fake camera) and
// prints the category scores and the audits that did not pass, as one JSON line. Used by test_audits.py:
//   node tests/browser/lighthouse.mjs URL mobile|desktop
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";

const [url, formFactor = "mobile"] = process.argv.slice(2);
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  chromeFlags: [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
  ],
});
try {
  const result = await lighthouse(
    url,
    { port: chrome.port, output: "json", logLevel: "error", onlyCategories: ["performance", "accessibility", "best-practices"] },
    formFactor === "desktop" ? desktopConfig : undefined,
  );
  const lhr = result.lhr;
  const scores = Object.fromEntries(Object.entries(lhr.categories).map(([id, c]) => [id, Math.round(c.score * 100)]));
  const failing = [];
  for (const category of Object.values(lhr.categories)) {
    for (const ref of category.auditRefs) {
      const audit = lhr.audits[ref.id];
      if (ref.weight > 0 && audit.score !== null && audit.score < 0.9) {
        const nodes = (audit.details?.items || []).map((item) => item.node?.selector).filter(Boolean);
        failing.push({ category: category.id, id: audit.id, score: audit.score, value: audit.displayValue || "", nodes });
      }
    }
  }
  const metrics = {};
  for (const id of ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift", "speed-index"]) {
    metrics[id] = lhr.audits[id]?.displayValue;
  }
  const longTasks = (lhr.audits["long-tasks"]?.details?.items || []).map((t) => [t.url, Math.round(t.duration)]);
  const bootup = (lhr.audits["bootup-time"]?.details?.items || []).map((t) => [t.url, Math.round(t.scripting)]);
  console.log(JSON.stringify({ longTasks, bootup, url: lhr.finalDisplayedUrl, formFactor, scores, metrics, failing, runtimeError: lhr.runtimeError?.message || null }));
} finally {
  await chrome.kill();
}
