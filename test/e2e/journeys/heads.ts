/**
 * Heads and ablations from the palette: Find Induction Heads ranks the head the engine's detector
 * ranks first; ablating that head raises the loss on a repeated sequence.
 */
import { inspectSample, REPEATED_PROMPT } from '../inspector';
import type { Journey } from '../journey';
import { check, until } from '../workbench';

export const findInductionHeads: Journey = {
  slug: 'find-induction-heads',
  title: 'Palette → Find Induction Heads: the panel lists the induction head the detector ranks first, first',
  async run({ wb, inspector, ws, expected, log }) {
    await inspectSample(wb, inspector, ws.modelFolder, ws.modelDir);
    await wb.command('Circuit Inspector: Find Induction Heads');
    const rows = inspector.view.locator('table.heads-table tbody tr[data-layer]');
    const all = expected.layers * expected.heads;
    await until(`the heads table to list all ${all} heads`, async () => (await rows.count()) === all, 120_000);
    const names = (await rows.locator('td:first-child').allTextContents()).map((t) => t.trim());
    log(`heads table order: ${names.join(', ')}; the detector's first: ${expected.induction.name} (${expected.induction.score.toFixed(3)})`);
    check(names[0] === expected.induction.name, `the panel lists ${names[0]} first, the detector ranks ${expected.induction.name} first`);
    // The notification names it too (the first head it mentions).
    const notice = await until('the induction heads notification', async () => (await wb.notices()).find((n) => /induction head/i.test(n.text)), 15_000);
    log(`notification: ${notice.text}`);
    check(/L\d+H\d+/.exec(notice.text)?.[0] === expected.induction.name, `the notification does not name ${expected.induction.name} first: ${notice.text}`);
  },
};

/** "1.234 → 5.678 (+4.444)" → [1.234, 5.678] (the panel writes minus as U+2212). */
function beforeAfter(text: string): [number, number] | undefined {
  const m = /(-?[\d.]+(?:e[-+]?\d+)?)\s*→\s*(-?[\d.]+(?:e[-+]?\d+)?)/i.exec(text.replace(/\u2212/g, '-'));
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export const ablateHead: Journey = {
  slug: 'ablate-head',
  title: 'Palette → Ablate Attention Head… on the induction head: loss on a repeated sequence before → after rises',
  async run({ wb, inspector, ws, expected, log }) {
    const { layer, head } = expected.induction;
    await inspectSample(wb, inspector, ws.modelFolder, ws.modelDir);
    await inspector.runPrompt(REPEATED_PROMPT);
    await wb.command('Circuit Inspector: Ablate Attention Head…', /^\s*Circuit Inspector: Ablate Attention Head/);
    // A multi-select pick: check the head's row, then OK.
    const row = wb.quickItem(`${layer}.${head}`).first();
    await row.waitFor({ state: 'visible' });
    await row.click();
    await until(`head ${layer}.${head} to be checked`, async () => (await row.getAttribute('aria-checked')) === 'true' || (await row.locator('input[type="checkbox"]:checked, .monaco-custom-toggle.checked').count()) > 0, 5000);
    await wb.page.keyboard.press('Enter');
    await wb.pickQuickItem('Zero');

    const summary = inspector.view.locator('.ablation-result .summary-row').filter({ has: inspector.view.locator('.summary-key', { hasText: /^loss$/ }) });
    const value = await until('the loss before → after in the Interventions tab', async () => {
      const text = (await summary.first().locator('.summary-value').textContent({ timeout: 2000 })) ?? '';
      return beforeAfter(text) ? text : undefined;
    }, 60_000);
    const title = (await inspector.view.locator('.ablation-result .section-title').first().textContent()) ?? '';
    log(`${title.trim()}: loss ${value.trim()} on "${REPEATED_PROMPT}"`);
    check(title.includes(expected.induction.name), `the result is not about head ${expected.induction.name}: ${title}`);
    const [before, after] = beforeAfter(value)!;
    check(after > before, `ablating ${expected.induction.name} did not raise the loss: ${before} → ${after}`);
  },
};
