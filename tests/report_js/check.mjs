// Loads a godwit HTML report in headless Chromium and prints one JSON
// object: {"errors": [...], "external": [...], "charts": [{"label",
// "paths": [{"name", "points", "length"}]}], "tip": "..."}.
//   node check.mjs REPORT.html [CHROMIUM]
// errors: console errors and uncaught exceptions; external: requests to
// anything but the file itself (a self-contained page makes none).
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';

const file = process.argv[2];
const executablePath = process.argv[3] || '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run',
         '--disable-background-networking', '--disable-component-update',
         '--disable-sync'],
});
try {
  const page = await browser.newPage();
  const errors = [];
  const external = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  const url = pathToFileURL(file).href;
  page.on('request', (r) => { if (r.url() !== url) external.push(r.url()); });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 10000 });
  const charts = await page.$$eval('svg.chart', (svgs) => svgs.map((svg) => ({
    label: svg.getAttribute('aria-label'),
    paths: Array.from(svg.querySelectorAll('path')).map((p) => ({
      name: p.getAttribute('data-name'),
      points: (p.getAttribute('d').match(/[ML]/g) || []).length,
      length: p.getTotalLength(),
    })),
  })));
  // The pointer over the first chart: the script shows its values.
  const first = await page.$('svg.chart[data-series]');
  let tip = '';
  if (first) {
    await first.hover();
    tip = await page.$eval('#tip', (t) => t.textContent);
  }
  console.log(JSON.stringify({ errors, external, charts, tip }));
} finally {
  await browser.close();
}
