/** The inspector's webview as a user reads it: header state, model card, tabs, prompt box, token strips. */
import type { FrameLocator, Locator } from 'playwright-core';
import { check, Fatal, until, type Workbench } from './workbench';

/** A repeated sequence: its second copy is predictable only by looking back at the first (what induction heads do). */
export const REPEATED_PROMPT = 'cat dog fox owl bee ant. cat dog fox owl bee ant.';

export class Inspector {
  constructor(private readonly wb: Workbench) {}

  get view(): FrameLocator {
    return this.wb.webview();
  }

  /** The header's engine state ("Ready", "Loading", "Error", …). */
  async state(): Promise<string> {
    return ((await this.view.locator('.panel-header .state-text').first().textContent({ timeout: 2000 })) ?? '').trim();
  }

  async waitReady(what: string, timeoutMs = 60_000): Promise<void> {
    await until(`the inspector to be Ready (${what})`, async () => {
      await this.throwOnError(what);
      return (await this.state()) === 'Ready';
    }, timeoutMs);
  }

  /** The panel's error banner text, or '' when none shows. */
  async error(): Promise<string> {
    const banner = this.view.locator('.error-banner');
    if (!(await banner.first().isVisible().catch(() => false))) return '';
    return ((await banner.locator('.banner-text').first().textContent().catch(() => '')) ?? '').trim() || '(an error banner without text)';
  }

  /** Fails at once when the panel shows an error: waiting would only time out. */
  async throwOnError(what: string): Promise<void> {
    const error = await this.error();
    if (error) throw new Fatal(`the panel shows an error (${what}): ${error}`);
  }

  /** Dismisses the error banner (the state of an earlier journey or step), so a new one means a new error. */
  async dismissError(): Promise<void> {
    const dismiss = this.view.locator('.error-banner vscode-toolbar-button[title="Dismiss"]');
    if (await dismiss.first().isVisible().catch(() => false)) await dismiss.first().click();
  }

  /** The model card's value for `label` ("Layers", "Heads", …). */
  async cardValue(label: string): Promise<string> {
    const item = this.view.locator('.card-item').filter({ has: this.view.locator('dt', { hasText: new RegExp(`^${label}$`) }) });
    return ((await item.locator('dd').first().textContent({ timeout: 5000 })) ?? '').trim();
  }

  /** Waits for the model card to show the model at `modelPath` (the card prints its path). */
  async waitForModel(modelPath: string): Promise<void> {
    await until(`the model card of ${modelPath}`, async () => {
      await this.throwOnError('loading the model');
      return ((await this.view.locator('.card-path').first().textContent({ timeout: 2000 })) ?? '').includes(modelPath);
    }, 60_000);
    await this.waitReady('model loaded');
  }

  async showTab(tab: string): Promise<void> {
    await this.view.locator(`vscode-tab-header[data-tab="${tab}"]`).click();
  }

  /** Types `prompt` into the Prompt tab, runs it, and waits for its tokens. Returns the token count. */
  async runPrompt(prompt: string): Promise<number> {
    await this.showTab('prompt');
    const box = this.view.locator('vscode-textarea.prompt-input textarea');
    await box.fill(prompt);
    const run = this.view.locator('vscode-button.run-button');
    await until('the Run button to be enabled', async () => (await run.getAttribute('disabled')) === null, 15_000);
    // The strip rebuilds its chips for each new run: mark the current ones to tell the new run's apart.
    const chips = this.view.locator('.prompt-view .token-strip .token');
    await chips.evaluateAll((elements) => elements.forEach((e) => (e as unknown as { dataset: Record<string, string> }).dataset.stale = '1'));
    await run.click();
    const fresh = this.view.locator('.prompt-view .token-strip .token:not([data-stale])');
    // Run clears the panel's error: one showing now is this run's.
    await until('the prompt to run', async () => {
      await this.throwOnError(`running "${prompt}"`);
      return (await fresh.count()) > 0 && (await this.state()) === 'Ready';
    }, 60_000);
    const count = await fresh.count();
    check(count > 1, `the run of "${prompt}" shows ${count} tokens`);
    return count;
  }

  /** A token chip of the strip inside `scope` (a view). */
  token(scope: string, index: number): Locator {
    return this.view.locator(`${scope} .token-strip .token[data-index="${index}"]`);
  }
}

/** Runs the sample model's Inspect Model from the explorer's context menu and waits for its card. */
export async function inspectSample(wb: Workbench, inspector: Inspector, modelFolder: string, modelDir: string): Promise<void> {
  if ((await wb.page.locator('iframe.webview.ready').count()) > 0) await inspector.dismissError();
  await wb.explorerMenu(`${modelFolder}/model.safetensors`, 'Inspect Model');
  await inspector.waitForModel(modelDir);
}
