// Interaction checks of the real webview in headless chromium (fake host, bench/webview-harness/):
// the handshake, hover → hoverToken, click/arrow keys → selectHead, statistics on request, exports
// (PNG bytes and CSV text), Run/Cancel, and state restored after a reload. Exits 1 on a failure.
//
//   node --import tsx bench/webview-interactions.mjs
import assert from 'node:assert/strict';
import { launch, serve } from './webview-harness/serve.mjs';

const server = await serve('bench/webview-harness/entry.js');
const browser = await launch();
const results = [];
const check = async (name, fn) => {
  try {
    await fn();
    results.push({ name, ok: true });
  } catch (e) {
    results.push({ name, ok: false, error: String(e?.message ?? e).split('\n').slice(0, 14).join(' | ') });
  }
};
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP ${e.violatedDirective} ${e.blockedURI}`)));
  await page.goto(`${server.origin}/#dark`);
  await page.waitForFunction(() => globalThis.__ci !== undefined);
  const posted = () => page.evaluate(() => globalThis.__ci.posted.map((m) => ({ ...m, data: m.data instanceof Uint8Array ? { bytes: m.data.length, head: Array.from(m.data.slice(0, 8)) } : m.data })));
  const clearPosted = () => page.evaluate(() => (globalThis.__ci.posted.length = 0));
  const tab = (t) => page.evaluate((t) => [...document.querySelectorAll('vscode-tab-header')].find((h) => h.dataset.tab === t).click(), t);

  await check('posts ready first', async () => assert.equal((await posted())[0]?.type, 'ready'));
  await page.evaluate(() => globalThis.__ci.load());

  await check('model card and tensor table render', async () => {
    await tab('model');
    assert.equal(await page.locator('.card-item').count(), 12);
    assert.equal(await page.locator('.tensor-table tbody tr').count(), 28);
    await page.locator('vscode-textfield.tensor-filter').locator('input').fill('c_attn weight');
    assert.equal(await page.locator('.tensor-table tbody tr').count(), 2);
  });

  await check('stats button posts tensorStats and shows the reply', async () => {
    await clearPosted();
    await page.click('button[data-stats="h.1.attn.c_attn.weight"]');
    assert.deepEqual((await posted()).map((m) => m.type), ['tensorStats']);
    await page.waitForSelector('.stats-row .stats-list');
    assert.match(await page.locator('.stats-row').innerText(), /mean[\s\S]*std[\s\S]*NaN/);
  });

  await check('hovering a token chip posts hoverToken, leaving posts null', async () => {
    await tab('attention');
    await clearPosted();
    await page.hover('vscode-tab-panel:not([hidden]) .token[data-index="5"]');
    await page.mouse.move(5, 5);
    const hovers = (await posted()).filter((m) => m.type === 'hoverToken').map((m) => m.index);
    assert.deepEqual(hovers, [5, null]);
  });

  await check('clicking a thumbnail locks the head (selectHead); arrow keys move it', async () => {
    await clearPosted();
    const box = await page.locator('.grid-stage canvas.grid-canvas').boundingBox();
    // The grid: 30 px of labels on the left, 18 on top, then thumbnails + 4 px gaps.
    const thumb = await page.evaluate(() => {
      const c = document.querySelector('.grid-canvas');
      return (c.width - 30) / 4 - 4;
    });
    await page.mouse.click(box.x + 30 + 1.5 * (thumb + 4), box.y + 18 + 0.5 * (thumb + 4));
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    const selects = (await posted()).filter((m) => m.type === 'selectHead').map((m) => `${m.layer}:${m.head}`);
    assert.deepEqual(selects, ['0:1', '1:1', '1:2']);
    assert.match(await page.locator('.detail-section .heatmap-title').innerText(), /Layer 1 · Head 2/);
  });

  await check('exports post PNG bytes and CSV text', async () => {
    await clearPosted();
    await page.click('.detail-section vscode-toolbar-button[icon="file-media"]');
    await page.click('.detail-section vscode-toolbar-button[icon="table"]');
    await page.waitForFunction(() => globalThis.__ci.posted.length >= 2);
    const saves = (await posted()).filter((m) => m.type === 'save');
    const png = saves.find((m) => m.fileName.endsWith('.png'));
    const csv = saves.find((m) => m.fileName.endsWith('.csv'));
    assert.equal(png.fileName, 'gpt2-tiny-attention-L1H2.png');
    assert.deepEqual(png.data.head, [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
    assert.ok(png.data.bytes > 1000);
    assert.equal(csv.fileName, 'gpt2-tiny-attention-L1H2.csv');
    assert.match(csv.data, /^Query \\ Key,<\|endoftext\|>,def," fib@2",/);
    assert.equal(csv.data.trim().split('\r\n').length, 21);
  });

  await check('QK/OV shows the circuits of the locked head', async () => {
    await tab('circuits');
    await page.waitForFunction(() => document.querySelector('.circuits-view .section-title')?.textContent === 'Circuits of L1H2');
    assert.equal(await page.locator('.circuits-body:not([hidden]) .heatmap:not([hidden])').count(), 3);
  });

  await check('Run posts the prompt; Cancel shows while running', async () => {
    await tab('prompt');
    await clearPosted();
    await page.locator('vscode-textarea textarea').fill('x = 1');
    await page.click('vscode-button.run-button');
    const runs = (await posted()).filter((m) => m.type === 'run').map((m) => m.prompt);
    assert.deepEqual(runs, ['x = 1']);
    assert.ok(await page.locator('vscode-button.cancel-button').isVisible());
    await page.waitForFunction(() => document.querySelector('.state-text')?.textContent === 'Ready');
    assert.ok(!(await page.locator('vscode-button.cancel-button').isVisible()));
  });

  await check('state survives a reload (tab, prompt, head, hover direction)', async () => {
    await tab('attention');
    await page.click('vscode-radio[data-direction="key"]');
    await page.reload();
    await page.waitForFunction(() => globalThis.__ci !== undefined);
    const restored = await page.evaluate(() => ({
      tab: document.querySelector('vscode-tabs').selectedIndex,
      prompt: document.querySelector('vscode-textarea').value,
      key: document.querySelector('vscode-radio[data-direction="key"]').checked,
      title: document.querySelector('.detail-section .heatmap-title')?.textContent,
    }));
    assert.deepEqual(restored, { tab: 2, prompt: 'x = 1', key: true, title: 'Layer 1 · Head 2' });
  });

  await check('no page errors or CSP violations', async () => assert.deepEqual(errors, []));
} finally {
  await browser.close();
  await server.close();
}
console.log(JSON.stringify(results, null, 1));
if (results.some((r) => !r.ok)) process.exitCode = 1;
