/** The particle view: token representations drawn for the current prompt. */
import { inspectSample, REPEATED_PROMPT } from '../inspector';
import type { Journey } from '../journey';
import { canvasSummary, check, Skip, until } from '../workbench';

export const particleView: Journey = {
  slug: 'particles',
  title: 'Particles tab renders the current prompt',
  async run({ wb, inspector, ws, log }) {
    await inspectSample(wb, inspector, ws.modelFolder, ws.modelDir);
    const tokens = await inspector.runPrompt(REPEATED_PROMPT);
    const tab = inspector.view.locator('vscode-tab-header', { hasText: /^\s*Particles\s*$/ });
    if ((await tab.count()) === 0) throw new Skip('the panel has no "Particles" tab (the particle view has not landed)');
    await tab.first().click();
    const scatter = inspector.view.locator('[data-testid="particles-scatter"]');
    const drawn = await until('the particle scatter to be drawn', async () => {
      const s = await canvasSummary(scatter);
      return s.width > 0 && s.colours >= 16 ? s : undefined;
    }, 60_000);
    // For the current prompt: one particle per token, the view's token strip is the prompt's.
    const chips = await inspector.view.locator('.particles-view .token-strip .token').count();
    check(chips === tokens, `the particle view shows ${chips} tokens, the prompt has ${tokens}`);
    log(`particle scatter ${drawn.width}×${drawn.height} px, ${drawn.colours} colours, ${chips} tokens`);
  },
};
