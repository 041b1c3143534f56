/** Prompt tab: the prompt box, Run / Cancel, and the token strip of the last run. */
import type { ViewState } from '../lib/state';
import type { AppContext, View } from './context';
import { el, show } from './dom';
import { TokenStrip } from './tokenStrip';

export class PromptView implements View {
  readonly element: HTMLElement;
  private readonly textarea: HTMLElementTagNameMap['vscode-textarea'];
  private readonly runButton: HTMLElementTagNameMap['vscode-button'];
  private readonly cancelButton: HTMLElementTagNameMap['vscode-button'];
  private readonly hint: HTMLElement;
  private readonly tokensHeader: HTMLElement;
  private readonly tokenCount: HTMLElement;
  private readonly strip: TokenStrip;
  private readonly noRun: HTMLElement;

  constructor(private readonly ctx: AppContext) {
    this.textarea = document.createElement('vscode-textarea');
    this.textarea.monospace = true;
    this.textarea.rows = 6;
    this.textarea.resize = 'vertical';
    this.textarea.placeholder = 'Type a prompt, or select text in an editor and run “Circuit Inspector: Analyze Selection”.';
    this.textarea.setAttribute('aria-label', 'Prompt');
    this.textarea.className = 'prompt-input';
    this.textarea.addEventListener('input', () => this.ctx.dispatch({ type: 'ui/prompt', text: this.textarea.value }));
    this.textarea.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.run();
      }
    });

    this.runButton = document.createElement('vscode-button');
    this.runButton.icon = 'play';
    this.runButton.className = 'run-button';
    this.runButton.textContent = 'Run';
    this.runButton.title = 'Run the model on this prompt (Ctrl+Enter)';
    this.runButton.addEventListener('click', () => this.run());
    this.cancelButton = document.createElement('vscode-button');
    this.cancelButton.icon = 'debug-stop';
    this.cancelButton.className = 'cancel-button';
    this.cancelButton.secondary = true;
    this.cancelButton.textContent = 'Cancel';
    this.cancelButton.addEventListener('click', () => this.ctx.post({ type: 'cancel' }));
    this.hint = el('span', { class: 'hint' });

    this.strip = new TokenStrip({
      label: 'Prompt tokens',
      onHover: (i) => this.ctx.hoverToken(i),
      onPick: (i) => this.ctx.dispatch({ type: 'ui/predictionPos', pos: i }),
    });
    this.tokenCount = document.createElement('vscode-badge');
    this.tokenCount.setAttribute('variant', 'counter');
    this.tokensHeader = el('div', { class: 'section-header' }, el('h2', { class: 'section-title', text: 'Tokens' }), this.tokenCount, el('span', { class: 'hint', text: 'hover a token to see its attention · click to see its predictions' }));
    this.noRun = el('div', { class: 'empty-note', text: 'Run the prompt to see how the model tokenizes it.' });

    this.element = el(
      'div',
      { class: 'view prompt-view' },
      el(
        'section',
        { class: 'section' },
        el('div', { class: 'section-header' }, el('h2', { class: 'section-title', text: 'Prompt' })),
        this.textarea,
        el('div', { class: 'button-row' }, this.runButton, this.cancelButton, this.hint),
      ),
      el('section', { class: 'section' }, this.tokensHeader, this.noRun, this.strip.element),
    );
  }

  private run(): void {
    const s = this.ctx.state();
    const prompt = this.textarea.value;
    if (!s.card || prompt.length === 0 || s.status.state === 'running' || s.status.state === 'loading') return;
    this.ctx.dispatch({ type: 'ui/run' });
    this.ctx.post({ type: 'run', prompt });
  }

  update(s: ViewState, prev: ViewState | undefined): void {
    if (!prev || s.promptRevision !== prev.promptRevision) {
      if (this.textarea.value !== s.prompt) this.textarea.value = s.prompt;
    }
    const busy = s.status.state === 'running' || s.status.state === 'loading';
    const running = s.status.state === 'running';
    this.runButton.disabled = !s.card || busy || s.prompt.length === 0;
    show(this.cancelButton, running);
    this.hint.textContent = !s.card ? 'Load a model to run prompts.' : running ? 'Running…' : s.status.state === 'loading' ? 'Loading the model…' : 'Ctrl+Enter runs';
    if (s.run !== prev?.run && s.run?.tokens !== prev?.run?.tokens) {
      const run = s.run;
      this.strip.setTokens(run?.tokenStrings ?? [], run?.tokens ?? []);
      this.tokenCount.textContent = String(run?.tokens.length ?? 0);
    }
    show(this.noRun, !s.run);
    show(this.strip.element, !!s.run);
    show(this.tokenCount, !!s.run);
    this.strip.setPicked(s.run ? s.predictionPos : undefined);
  }

  hover(index: number | undefined): void {
    this.strip.setHovered(index);
  }
}
