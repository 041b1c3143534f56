/** The header: model name, engine state with its message and progress, and the error banner. */
import { modelName } from '../lib/format';
import { ablationBannerText } from '../lib/interventions';
import type { ViewState } from '../lib/state';
import type { AppContext } from './context';
import { action, el, icon, show } from './dom';

const STATE_TEXT = { idle: 'Idle', loading: 'Loading', ready: 'Ready', running: 'Running', error: 'Error' } as const;
const STATE_ICON = { idle: 'circle-large-outline', loading: 'loading', ready: 'pass', running: 'loading', error: 'error' } as const;

export class Header {
  readonly element: HTMLElement;
  private readonly name: HTMLElement;
  private readonly details: HTMLElement;
  private readonly stateIcon: HTMLElement;
  private readonly stateText: HTMLElement;
  private readonly message: HTMLElement;
  private readonly progress: HTMLElementTagNameMap['vscode-progress-bar'];
  private readonly banner: HTMLElement;
  private readonly bannerText: HTMLElement;
  private readonly ablated: HTMLElement;
  private readonly ablatedText: HTMLElement;

  constructor(private readonly ctx: AppContext) {
    this.name = el('span', { class: 'model-name' });
    this.details = el('span', { class: 'model-details' });
    this.stateIcon = el('span');
    this.stateText = el('span', { class: 'state-text' });
    this.message = el('span', { class: 'status-message' });
    this.progress = document.createElement('vscode-progress-bar');
    this.progress.className = 'header-progress';
    this.bannerText = el('span', { class: 'banner-text' });
    this.banner = el(
      'div',
      { class: 'error-banner', attrs: { role: 'alert' } },
      icon('error'),
      this.bannerText,
      action('close', 'Dismiss', () => this.ctx.dispatch({ type: 'ui/dismissError' })),
    );
    this.ablatedText = el('span', { class: 'ablated-text' });
    this.ablated = el(
      'div',
      { class: 'ablated-banner', attrs: { role: 'status' } },
      el('span', { class: 'ablated-tag', text: 'ablated' }),
      this.ablatedText,
      el('span', { class: 'spacer' }),
      action('beaker', 'Show interventions', () => this.ctx.dispatch({ type: 'ui/tab', tab: 'interventions' })),
      action('clear-all', 'Clear ablations', () => this.ctx.post({ type: 'clearAblations' })),
    );
    this.ablated.title =
      'Runs apply these ablations: attention patterns, predictions, losses and attributions are computed with them (those views say “ablated: …”), and the Interventions tab shows the metric before → after. Runs made before a change keep the ablations they ran under; run again to update.';
    this.element = el(
      'header',
      { class: 'panel-header' },
      el(
        'div',
        { class: 'header-row' },
        icon('circuit-board', 'header-icon'),
        this.name,
        this.details,
        el('span', { class: 'spacer' }),
        el('span', { class: 'status', attrs: { role: 'status', 'aria-live': 'polite' } }, this.stateIcon, this.stateText, this.message),
      ),
      el('div', { class: 'progress-slot' }, this.progress),
      this.ablated,
      this.banner,
    );
  }

  update(s: ViewState): void {
    const name = modelName(s.modelPath);
    this.name.textContent = name || 'Circuit Inspector';
    this.name.title = s.modelPath ?? '';
    this.details.textContent = s.card ? `${s.card.architecture} · ${s.card.layers}L × ${s.card.heads}H · ${s.card.backend}` : '';
    const st = s.status.state;
    this.stateIcon.className = `codicon codicon-${STATE_ICON[st]}${st === 'loading' || st === 'running' ? ' codicon-modifier-spin' : ''} state-${st}`;
    this.stateText.textContent = STATE_TEXT[st];
    this.stateText.className = `state-text state-${st}`;
    const progress = s.status.progress;
    this.message.textContent = s.status.message ? `${s.status.message}${progress !== undefined && st !== 'error' ? ` (${Math.round(progress * 100)}%)` : ''}` : '';
    this.message.title = s.status.message ?? '';
    const busy = st === 'loading' || st === 'running';
    show(this.progress, busy);
    if (busy) {
      if (progress !== undefined && Number.isFinite(progress)) {
        this.progress.indeterminate = false;
        this.progress.max = 100;
        this.progress.value = Math.round(Math.max(0, Math.min(1, progress)) * 100);
      } else {
        this.progress.indeterminate = true;
      }
    }
    this.bannerText.textContent = s.error ?? '';
    show(this.banner, s.error !== undefined);
    this.ablatedText.textContent = ablationBannerText(s.ablations);
    show(this.ablated, s.ablations.length > 0);
  }
}
