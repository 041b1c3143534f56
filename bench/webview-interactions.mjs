// Interaction checks of the real webview in headless chromium (fake host, bench/webview-harness/):
// the handshake, hover → hoverToken, click/arrow keys → selectHead, statistics on request, exports
// (PNG bytes and CSV text), the analysis tabs (Heads, Composition, skip trigrams, Attribution: what
// they ask the host for, what clicks select), the Particles tab, Run/Cancel, and state restored
// after a reload. Exits 1 on a failure.
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
  const posted = () =>
    page.evaluate(() => globalThis.__ci.posted.map((m) => (m.data === undefined ? m : { ...m, data: m.data instanceof Uint8Array ? { bytes: m.data.length, head: Array.from(m.data.slice(0, 8)) } : m.data })));
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

  await check('Heads: asks once for scores on the prompt; a row selects its head; a header sorts; random tokens on request', async () => {
    await clearPosted();
    await tab('heads');
    await page.waitForSelector('.heads-table tbody tr');
    assert.deepEqual((await posted()).filter((m) => m.type === 'requestHeads'), [{ type: 'requestHeads', source: 'prompt' }]);
    assert.equal(await page.locator('.heads-table tbody tr').count(), 8);
    assert.match(await page.locator('.heads-table tbody tr').first().innerText(), /^L1H0/, 'ranked by induction: the induction head first');
    await page.click('.heads-table tbody tr[data-layer="0"][data-head="1"]');
    assert.deepEqual((await posted()).filter((m) => m.type === 'selectHead').map((m) => `${m.layer}:${m.head}`), ['0:1']);
    assert.equal(await page.locator('.heads-table tbody tr.selected').getAttribute('data-head'), '1');
    await page.click('.heads-table th[data-sort="sink"]');
    assert.equal(await page.locator('.heads-table th[data-sort="sink"]').getAttribute('aria-sort'), 'descending');
    assert.match(await page.locator('.heads-table tbody tr').first().innerText(), /^L0H1/, 'the sink head first');
    await page.click('.heads-view vscode-radio[data-value="random"]');
    await page.waitForFunction(() => document.querySelector('.heads-view .processing')?.textContent?.includes('repeated random'));
    assert.deepEqual((await posted()).filter((m) => m.type === 'requestHeads').map((m) => m.source), ['prompt', 'random']);
  });

  await check('Heads: the heatmap and the scatter export PNG and CSV', async () => {
    await clearPosted();
    await page.click('.heads-map vscode-toolbar-button[icon="file-media"]');
    await page.click('.heads-map vscode-toolbar-button[icon="table"]');
    await page.click('.heads-view .scatter vscode-toolbar-button[icon="file-media"]');
    await page.waitForFunction(() => globalThis.__ci.posted.filter((m) => m.type === 'save').length >= 3);
    const saves = (await posted()).filter((m) => m.type === 'save');
    assert.deepEqual(saves.map((m) => m.fileName).sort(), ['gpt2-tiny-heads-copying-scatter.png', 'gpt2-tiny-heads-induction-random.csv', 'gpt2-tiny-heads-induction-random.png']);
    for (const png of saves.filter((m) => m.fileName.endsWith('.png'))) assert.deepEqual(png.data.head, [137, 80, 78, 71, 13, 10, 26, 10]);
    assert.match(saves.find((m) => m.fileName.endsWith('.csv')).data, /^Layer \\ Head,H0,H1,H2,H3\r\nL0,/);
  });

  await check('Composition: a cell posts selectPair, selects the later head and outlines the pair', async () => {
    await clearPosted();
    await tab('composition');
    await page.waitForSelector('.pairs-table tbody tr');
    assert.deepEqual((await posted()).filter((m) => m.type === 'requestComposition'), [{ type: 'requestComposition', baseline: false }]);
    // The bottom-right cell of the K map: earlier head L0H3, later head L1H3.
    const canvas = page.locator('.composition-maps .heatmap-canvas').nth(1);
    const box = await canvas.boundingBox();
    await page.mouse.click(box.x + box.width - 14, box.y + box.height - 14);
    const pairs = (await posted()).filter((m) => m.type === 'selectPair');
    assert.deepEqual(pairs, [{ type: 'selectPair', from: { layer: 0, head: 3 }, to: { layer: 1, head: 3 } }]);
    assert.equal(await page.locator('.pair-caption .pair-name').innerText(), 'L0H3 → L1H3');
    await page.click('.composition-view vscode-checkbox');
    await page.waitForFunction(() => document.querySelector('.composition-view .processing')?.textContent?.includes('baseline subtracted'));
    assert.deepEqual((await posted()).filter((m) => m.type === 'requestComposition').map((m) => m.baseline), [false, true]);
  });

  await check('QK / OV: eigenvalue plots, and a picked token asks for its skip trigrams', async () => {
    await clearPosted();
    await tab('circuits');
    await page.waitForFunction(() => document.querySelector('.circuits-view .section-title')?.textContent === 'Circuits of L1H3');
    assert.equal(await page.locator('.spectrum-body:not([hidden]) canvas.heatmap-canvas').count(), 2);
    assert.match(await page.locator('.copying-scores').innerText(), /OV copying[\s\S]*QK copying/);
    await page.click('.skip-section .token[data-index="4"]');
    await page.waitForSelector('.skip-tables:not([hidden]) tbody tr');
    assert.deepEqual((await posted()).filter((m) => m.type === 'requestSkipTrigrams'), [{ type: 'requestSkipTrigrams', token: 77 }]);
    assert.equal(await page.locator('.skip-tables .token-table').count(), 3);
  });

  await check('Attribution: asks at the last position for the top prediction; a contrast asks again; the lens exports', async () => {
    await clearPosted();
    await tab('attribution');
    await page.waitForSelector('.lens-table tbody tr');
    const first = (await posted()).filter((m) => m.type === 'requestAttribution');
    assert.equal(first.length, 1);
    assert.equal(first[0].position, 19);
    assert.equal(first[0].contrast, undefined);
    assert.equal(await page.locator('.lens-table tbody tr').count(), 3, 'embed, L0, L1');
    const contrast = await page.evaluate(() => {
      const select = document.querySelectorAll('.attribution-section vscode-single-select')[1];
      const value = select.querySelectorAll('vscode-option')[1].value;
      select.value = value;
      select.dispatchEvent(new Event('change'));
      return Number(value);
    });
    const again = (await posted()).filter((m) => m.type === 'requestAttribution');
    assert.deepEqual(again[1], { type: 'requestAttribution', position: 19, target: first[0].target, contrast });
    await clearPosted();
    await page.click('.attribution-view vscode-toolbar-button[title="Export the logit lens (CSV)"]');
    const lens = (await posted()).find((m) => m.type === 'save');
    assert.equal(lens.fileName, 'gpt2-tiny-logit-lens.csv');
    assert.match(lens.data, /^after,position,token,rank,predicted_id,predicted_token,probability\r\nembed,0,/);
  });

  await check('Particles: asks for the statistics and the kernel; hovering a particle hovers its token; β, simulation and phase diagram ask', async () => {
    await clearPosted();
    await tab('particles');
    const scatter = 'vscode-tab-panel:not([hidden]) [data-testid="particles-scatter"]';
    await page.waitForSelector(scatter);
    await page.waitForSelector('vscode-tab-panel:not([hidden]) .kernel-maps:not([hidden])');
    const asked = (await posted()).filter((m) => m.type.startsWith('requestParticle'));
    assert.deepEqual(asked.map((m) => m.type).sort(), ['requestParticleKernel', 'requestParticles']);
    assert.deepEqual(asked.find((m) => m.type === 'requestParticles'), { type: 'requestParticles', beta: 1, delta: 0.1 });
    const colors = await page.evaluate((sel) => {
      const c = document.querySelector(sel);
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < d.length; i += 4 * 7) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      return seen.size;
    }, scatter);
    assert.ok(colors > 10, `the scatter has ${colors} colors`);
    // Sweep the pointer over the plot until it finds a particle: its token is hovered everywhere.
    await clearPosted();
    const box = await page.locator(scatter).boundingBox();
    let hovered;
    for (let y = box.y + 20; y < box.y + box.height - 30 && hovered === undefined; y += 6) {
      for (let x = box.x + 44; x < box.x + box.width - 14 && hovered === undefined; x += 6) {
        await page.mouse.move(x, y);
        hovered = (await posted()).find((m) => m.type === 'hoverToken' && m.index !== null)?.index;
      }
    }
    assert.ok(Number.isInteger(hovered), 'a particle was hovered');
    assert.ok(await page.locator(`vscode-tab-panel:not([hidden]) .particles-side .token[data-index="${hovered}"].hovered`).count(), 'its chip is highlighted');
    await page.mouse.move(2, 2);
    await clearPosted();
    const beta = page.locator('vscode-tab-panel:not([hidden]) .particles-view .section-header vscode-textfield').first().locator('input');
    await beta.fill('2');
    await beta.press('Enter');
    assert.deepEqual((await posted()).filter((m) => m.type === 'requestParticles'), [{ type: 'requestParticles', beta: 2, delta: 0.1 }]);
    await page.locator('vscode-tab-panel:not([hidden]) .particles-top .range-slider').fill('2');
    assert.match(await page.locator('vscode-tab-panel:not([hidden]) .particles-top .player-text').innerText(), /^final/);
    await clearPosted();
    await page.click('vscode-tab-panel:not([hidden]) .simulate-button');
    const sim = (await posted()).find((m) => m.type === 'requestSimulation');
    assert.deepEqual([sim.spec.params.n, sim.spec.params.d, sim.spec.params.dynamics, sim.spec.head], [32, 3, 'sa', undefined]);
    await page.waitForSelector('vscode-tab-panel:not([hidden]) .simulation-results:not([hidden])');
    await clearPosted();
    await page.click('vscode-tab-panel:not([hidden]) .phase-button');
    assert.equal((await posted()).filter((m) => m.type === 'requestPhaseDiagram').length, 1);
    await page.click('vscode-tab-panel:not([hidden]) .phase-cancel');
    assert.ok((await posted()).some((m) => m.type === 'cancel'), 'Cancel posts cancel');
    // Cancelled: the note offers Retry, which asks again.
    await clearPosted();
    await page.click('vscode-tab-panel:not([hidden]) .particles-simulation .request-note:not([hidden]) .retry-button');
    assert.equal((await posted()).filter((m) => m.type === 'requestPhaseDiagram').length, 1);
    await page.waitForSelector('vscode-tab-panel:not([hidden]) .phase-map:not([hidden]) .heatmap-stage:not([hidden])');
    await page.click('.error-banner vscode-toolbar-button');
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
    // The head is the composition pair's later head, selected last (L0H3 → L1H3).
    assert.deepEqual(restored, { tab: 2, prompt: 'x = 1', key: true, title: 'Layer 1 · Head 3' });
  });

  await check('no page errors or CSP violations', async () => assert.deepEqual(errors, []));
} finally {
  await browser.close();
  await server.close();
}
console.log(JSON.stringify(results, null, 1));
if (results.some((r) => !r.ok)) process.exitCode = 1;
