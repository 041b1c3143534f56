/**
 * Opening a model: Inspect Model from the explorer (model card, attention grid, token hover), the
 * custom editor (Reopen Editor With… → Circuit Inspector), and a corrupt weights file (one clear
 * error, and the extension keeps working).
 */
import * as path from 'node:path';
import { inspectSample, REPEATED_PROMPT } from '../inspector';
import type { Journey } from '../journey';
import { canvasSummary, check, until } from '../workbench';

export const inspectFromExplorer: Journey = {
  slug: 'inspect-model',
  title: 'Explorer → Inspect Model: model card, attention grid drawn, hovering a token highlights its row',
  async run({ wb, inspector, ws, expected, log }) {
    await inspectSample(wb, inspector, ws.modelFolder, ws.modelDir);
    const layers = await inspector.cardValue('Layers');
    const heads = await inspector.cardValue('Heads');
    check(layers === String(expected.layers), `the model card says Layers ${layers}, the model has ${expected.layers}`);
    check(heads.split(/\s/)[0] === String(expected.heads), `the model card says Heads ${heads}, the model has ${expected.heads}`);
    await wb.screenshot('01-inspect-model-card');

    const tokens = await inspector.runPrompt(REPEATED_PROMPT);
    await inspector.showTab('attention');
    const grid = inspector.view.locator('[data-testid="attention-grid"]');
    // Every head's thumbnail drawn: an attention colour ramp gives many distinct colours.
    const drawn = await until('the attention grid to be drawn', async () => {
      const s = await canvasSummary(grid);
      return s.width > 0 && s.colours >= 16 ? s : undefined;
    });
    log(`attention grid ${drawn.width}×${drawn.height} px, ${drawn.colours} colours, ${tokens} tokens`);

    const highlight = inspector.view.locator('[data-testid="attention-grid-highlight"]');
    await inspector.view.locator('.attention-view .section-title').first().hover(); // no token hovered
    const none = await canvasSummary(highlight);
    const hoverAndRead = async (index: number, differentFrom: number[]) => {
      const chip = inspector.token('.attention-view', index);
      await chip.hover();
      await until(`token ${index} to show as hovered`, async () => ((await chip.getAttribute('class')) ?? '').includes('hovered'), 5000);
      return until(`the grid's highlighted row to follow token ${index}`, async () => {
        const s = await canvasSummary(highlight);
        return s.painted > 0 && !differentFrom.includes(s.hash) ? s : undefined;
      }, 5000);
    };
    const first = await hoverAndRead(2, [none.hash]);
    const second = await hoverAndRead(tokens - 2, [none.hash, first.hash]);
    log(`highlight overlay: ${none.painted} painted px with no token hovered, ${first.painted} on token 2, ${second.painted} on token ${tokens - 2}`);
  },
};

export const customEditor: Journey = {
  slug: 'custom-editor',
  title: 'Open the model file → Reopen Editor With… → Circuit Inspector shows the inspector',
  async run({ wb, inspector, ws }) {
    const file = `${ws.modelFolder}/model.safetensors`;
    await (await wb.explorerItem(file)).dblclick();
    const tab = wb.page.locator('.editor-group-container .tab', { hasText: 'model.safetensors' });
    await tab.first().waitFor({ state: 'visible' });
    check((await wb.page.locator('iframe.webview').count()) === 0, 'the model file opened in a webview before Reopen With (the default editor should be VS Code\'s own)');
    await wb.command('View: Reopen Editor With', /^\s*View: Reopen Editor With/);
    await wb.pickQuickItem('Circuit Inspector');
    await inspector.waitForModel(ws.modelDir);
    check((await inspector.cardValue('Layers')) !== '', 'the custom editor shows no model card');
    // The inspector is the file's editor, not the panel: one tab, the file's.
    const tabs = await wb.page.locator('.editor-group-container .tab').allTextContents();
    check(tabs.length === 1 && tabs[0]!.includes('model.safetensors'), `expected only the model file's tab, found ${JSON.stringify(tabs)}`);
  },
};

export const corruptFile: Journey = {
  slug: 'corrupt-file',
  title: 'A corrupt .safetensors → Inspect Model: one clear error; the sample model still inspects and runs',
  async run({ wb, inspector, ws, log }) {
    await wb.explorerMenu(ws.corruptFile, 'Inspect Model');
    const errors = async () => (await wb.notices()).filter((n) => n.severity === 'error');
    await until('an error notification', async () => (await errors()).length > 0, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // a second message would come now
    const shown = await errors();
    await wb.screenshot('07-corrupt-file-error');
    check(shown.length === 1, `expected one error message, got ${shown.length}: ${JSON.stringify(shown.map((n) => n.text))}`);
    const text = shown[0]!.text;
    log(`error shown: ${text}`);
    check(text.includes(path.basename(ws.corruptFile)), `the error does not name the file: ${text}`);

    await inspectSample(wb, inspector, ws.modelFolder, ws.modelDir);
    const tokens = await inspector.runPrompt(REPEATED_PROMPT);
    check(tokens > 1, 'the sample model did not run after the error');
    const after = await errors();
    check(after.length <= 1, `more errors after inspecting the sample model: ${JSON.stringify(after.map((n) => n.text))}`);
  },
};
