// Screenshots of the whole panel with fake data, in headless chromium: the real webview/main.ts
// behind the real HTML and CSP (src/panel/html.ts), a stub acquireVsCodeApi and a fake host
// (bench/webview-harness/). Writes /tmp/panel-<theme>.png (every tab, stacked) and
// /tmp/panel-<theme>-<tab>.png, and fails on page errors or CSP violations.
//
//   node --import tsx bench/webview-screenshot.mjs [dark light hc] [--width 1100]
import { writeFile } from 'node:fs/promises';
import { launch, serve } from './webview-harness/serve.mjs';

const args = process.argv.slice(2);
const widthArg = args.indexOf('--width');
const width = widthArg >= 0 ? Number(args[widthArg + 1]) : 1100;
const themes = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--width');
const TABS = ['model', 'prompt', 'attention', 'heads', 'composition', 'circuits', 'attribution', 'predictions', 'particles'];

const server = await serve('bench/webview-harness/entry.js');
const browser = await launch();
const problems = [];
try {
  for (const theme of themes.length ? themes : ['dark', 'light']) {
    const page = await browser.newPage({ viewport: { width, height: 900 }, deviceScaleFactor: 1 });
    page.on('pageerror', (e) => problems.push(`${theme}: page error: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${theme}: HTTP ${r.status()} ${r.url()}`);
    });
    page.on('console', (m) => {
      if (m.text().startsWith('Failed to load resource')) return; // reported by the response handler
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${theme}: console ${m.type()}: ${m.text()}`);
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
    });
    await page.goto(`${server.origin}/#${theme}`);
    await page.waitForFunction(() => globalThis.__ci !== undefined);
    await page.evaluate(() => document.fonts.ready);
    await page.evaluate(() => globalThis.__ci.load());
    // Open a tensor's statistics, hover a token, pick a position: the screenshots show the interactions.
    await page.evaluate(() => document.querySelector('vscode-tab-header:nth-of-type(1)')?.click());
    const shots = [];
    for (const tab of TABS) {
      await page.evaluate((t) => {
        const headers = [...document.querySelectorAll('vscode-tab-header')];
        headers.find((h) => h.dataset.tab === t)?.click();
      }, tab);
      await page.waitForTimeout(150);
      if (tab === 'heads') {
        // The tab asked for scores on the prompt; wait for them, then hover the induction head's cell.
        await page.waitForSelector('vscode-tab-panel:not([hidden]) .heads-table tbody tr');
        await page.waitForTimeout(100);
      }
      if (tab === 'composition') {
        // Select the strongest K-composition pair from the list: the cell is outlined, the caption names it.
        await page.waitForSelector('vscode-tab-panel:not([hidden]) .pairs-table tbody tr');
        await page.click('vscode-tab-panel:not([hidden]) .pairs-table tbody tr:first-child');
        await page.waitForTimeout(100);
      }
      if (tab === 'attribution') {
        await page.waitForSelector('vscode-tab-panel:not([hidden]) .lens-table tbody tr');
        await page.waitForTimeout(100);
      }
      if (tab === 'model') {
        await page.click('button[data-stats="h.0.attn.c_attn.weight"]');
        await page.waitForTimeout(100);
      }
      if (tab === 'attention') {
        const chip = page.locator('vscode-tab-panel:not([hidden]) .token[data-index="18"]');
        await chip.hover();
        await page.waitForTimeout(50);
      }
      if (tab === 'circuits') {
        // Pick " fib" for the skip-trigram tables.
        await page.click('vscode-tab-panel:not([hidden]) .skip-section .token[data-index="2"]');
        await page.waitForSelector('vscode-tab-panel:not([hidden]) .skip-tables:not([hidden]) tbody tr');
        // Hover a QK cell: the tooltip names query token, key token and score.
        const box = await page.locator('vscode-tab-panel:not([hidden]) .heatmap-canvas').first().boundingBox();
        await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.55);
        await page.waitForTimeout(50);
      }
      if (tab === 'particles') {
        // Layer 1 in 3-D, a token hovered; then a simulation and a phase diagram.
        await page.waitForSelector('vscode-tab-panel:not([hidden]) [data-testid="particles-scatter"]');
        await page.click('vscode-tab-panel:not([hidden]) .particles-view vscode-radio[data-value="3d"]');
        await page.locator('vscode-tab-panel:not([hidden]) .particles-top .range-slider').fill('1');
        await page.hover('vscode-tab-panel:not([hidden]) .particles-side .token[data-index="4"]');
        await page.click('vscode-tab-panel:not([hidden]) .simulate-button');
        await page.waitForSelector('vscode-tab-panel:not([hidden]) .simulation-results:not([hidden])');
        await page.click('vscode-tab-panel:not([hidden]) .phase-button');
        await page.waitForSelector('vscode-tab-panel:not([hidden]) .phase-map:not([hidden]) .heatmap-stage:not([hidden])');
        await page.waitForTimeout(300);
      }
      if (tab === 'predictions') {
        await page.click('vscode-tab-panel:not([hidden]) .token[data-index="12"]');
        await page.mouse.move(0, 0);
        await page.waitForTimeout(50);
      }
      await page.evaluate(() => window.scrollTo(0, 0));
      const file = `/tmp/panel-${theme}-${tab}.png`;
      const png = await page.screenshot({ fullPage: true });
      await writeFile(file, png);
      shots.push(png);
    }
    // Stack the tabs into one image of the whole panel (on a blank page: the panel's CSP forbids fetch).
    const blank = await browser.newPage();
    const stacked = await blank.evaluate(async (images) => {
      const bitmaps = await Promise.all(images.map((b64) => fetch(`data:image/png;base64,${b64}`).then((r) => r.blob()).then((b) => createImageBitmap(b))));
      const canvas = document.createElement('canvas');
      canvas.width = Math.max(...bitmaps.map((b) => b.width));
      canvas.height = bitmaps.reduce((h, b) => h + b.height + 8, 0);
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#808080';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      let y = 0;
      for (const b of bitmaps) {
        ctx.drawImage(b, 0, y);
        y += b.height + 8;
      }
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    }, shots.map((b) => b.toString('base64')));
    await blank.close();
    await writeFile(`/tmp/panel-${theme}.png`, Buffer.from(stacked, 'base64'));
    const posted = await page.evaluate(() => globalThis.__ci.posted.map((m) => m.type));
    console.log(JSON.stringify({ theme, file: `/tmp/panel-${theme}.png`, tabs: TABS.map((t) => `/tmp/panel-${theme}-${t}.png`), posted }));
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exitCode = 1;
}
