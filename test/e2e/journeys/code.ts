/** Attention on the code: Analyze Selection on a block of the demo file, then hover its tokens in the editor. */
import { inspectSample } from '../inspector';
import type { Journey } from '../journey';
import { check, until } from '../workbench';

/** The decoration colour src/editor/attentionOverlay.ts shades attended tokens with (its alpha varies). */
const SHADE = 'rgba(255, 140, 0,';

interface Styled {
  readonly ownerDocument: { readonly defaultView: { getComputedStyle(e: unknown): { backgroundColor: string } } };
}

export const analyzeSelection: Journey = {
  slug: 'analyze-selection',
  title: 'Demo code file → select a block → Analyze Selection: hovering a token shows its attention, decorations appear',
  async run({ wb, inspector, ws, log }) {
    const page = wb.page;
    await (await wb.explorerItem(ws.codeFile)).dblclick();
    const editor = page.locator('.editor-group-container .monaco-editor').filter({ has: page.locator('.view-line') }).first();
    await editor.waitFor({ state: 'visible' });
    // Load the model; the panel opens beside the code without taking the focus.
    await inspectSample(wb, inspector, ws.modelFolder, ws.modelDir);

    // Select the function `add` (its three lines) with the keyboard.
    await editor.locator('.view-line', { hasText: 'function add(' }).first().click();
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+End');
    const selected = ((await page.locator('.statusbar-item', { hasText: /Ln \d+, Col \d+ \(\d+ selected\)/ }).first().textContent({ timeout: 5000 })) ?? '').trim();
    log(`selection: ${selected}`);
    await wb.command('Circuit Inspector: Analyze Selection');
    await inspector.waitReady('selection analyzed');
    const error = ((await inspector.view.locator('.error-banner .banner-text').first().textContent().catch(() => '')) ?? '').trim();
    check(!error, `the panel shows an error after Analyze Selection: ${error}`);

    const shaded = () =>
      editor.locator('.view-overlays div, .view-lines span').evaluateAll(
        (elements, colour) => elements.filter((e) => (e as unknown as Styled).ownerDocument.defaultView.getComputedStyle(e).backgroundColor.startsWith(colour)).length,
        SHADE,
      );
    check((await shaded()) === 0, 'the code is shaded before any token is hovered');

    // Hover its "return": the hover names the head and what the token attends to.
    const word = editor.locator('.view-line span span', { hasText: /^return$/ }).first();
    const hover = page.locator('.monaco-hover:visible', { hasText: 'Circuit Inspector' });
    const text = await until('the attention hover on "return"', async () => {
      await page.mouse.move(5, 5); // away, then back: a fresh hover
      await word.hover();
      await hover.first().waitFor({ state: 'visible', timeout: 3000 });
      return (await hover.first().textContent()) ?? '';
    }, 45_000, 500);
    log(`hover: ${text.replace(/\s+/g, ' ').slice(0, 160)}`);
    check(/head \d+\.\d+/.test(text) && text.includes('attends to'), `the hover does not say which head and what the token attends to: ${text}`);
    check(/\|?\s*weight/i.test(text), `the hover has no attention weights: ${text}`);

    const count = await until('attention decorations on the code', async () => {
      const n = await shaded();
      return n > 0 ? n : undefined;
    }, 10_000);
    log(`${count} shaded ranges in the editor`);
  },
};
