// Drives Debian's Chromium through playwright-core (no browser download) for xQR's bio page
// tests and docs screenshots.
//
//   node drive.mjs plan.json   → prints one JSON result per step, as a JSON array, on stdout
//
// plan.json: {"executablePath", "userAgent", "steps": [{"name", "url", "width", "height",
//   "screenshot"?: path, "axe"?: bool, "click"?: CSS selector}]}
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));

// Without the background-networking flags Chromium's own requests fail here and it stalls.
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const profile = mkdtempSync(join(tmpdir(), "xqr-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: plan.executablePath,
  headless: true,
  args: FLAGS,
  // The pages' CSP forbids scripts, axe-core included: let the test inject it.
  bypassCSP: true,
  userAgent: plan.userAgent,
  viewport: { width: 1280, height: 800 },
});

const results = [];
try {
  for (const step of plan.steps) {
    const page = await context.newPage();
    await page.setViewportSize({ width: step.width, height: step.height });
    const response = await page.goto(step.url, { waitUntil: "load" });
    const result = {
      name: step.name,
      status: response ? response.status() : null,
      csp: response ? (await response.allHeaders())["content-security-policy"] ?? null : null,
      title: await page.title(),
      scrollWidth: await page.evaluate(() => document.documentElement.scrollWidth),
      links: await page.$$eval("a.link", (as) => as.map((a) => a.textContent.trim())),
      images: await page.$$eval("img", (imgs) =>
        imgs.map((i) => ({ src: i.src, loaded: i.complete && i.naturalWidth > 0 })),
      ),
    };
    if (step.screenshot) {
      await page.screenshot({ path: step.screenshot, fullPage: false });
    }
    if (step.axe) {
      await page.addScriptTag({ content: axeSource });
      const found = await page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const report = await axe.run(document, { resultTypes: ["violations"] });
        return report.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.map((n) => n.html),
        }));
      });
      result.violations = found;
    }
    if (step.click) {
      const [navigation] = await Promise.all([
        page.waitForNavigation({ waitUntil: "load" }),
        page.click(step.click),
      ]);
      result.click = { url: page.url(), status: navigation ? navigation.status() : null };
    }
    results.push(result);
    await page.close();
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(results));
