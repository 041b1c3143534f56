/**
 * Webview entry point: renders what the extension sends and never computes. It restores the
 * saved state (tab, prompt, head, hover direction), announces itself with `ready`, and then folds
 * every host message into the state through the reducer; views follow the state. After each
 * change it asks the host for whatever the visible tab needs and does not have (lib/requests.ts).
 */
import type { Palette } from './lib/color';
import { initialState, isToWebview, persistedState, reduce, sanitizeSaved, TABS, type Action, type Tab, type UiAction, type ViewState } from './lib/state';
import { wantedRequests } from './lib/requests';
import { AttentionView } from './ui/attentionView';
import { AttributionView } from './ui/attributionView';
import { CircuitsView } from './ui/circuitsView';
import { CompositionView } from './ui/compositionView';
import type { AppContext, View } from './ui/context';
import { el } from './ui/dom';
import { Header } from './ui/header';
import { HeadsView } from './ui/headsView';
import { InterventionsView } from './ui/interventionsView';
import { ModelView } from './ui/modelView';
import { ParticlesView } from './ui/particlesView';
import { PredictionsView } from './ui/predictionsView';
import { PromptView } from './ui/promptView';
import { readPalette, watchPixelRatio, watchTheme } from './ui/theme';
import { vscodeApi } from './ui/vscode';
import type { WebviewState } from '../src/protocol/webview';

const TAB_LABELS: Record<Tab, string> = {
  model: 'Model',
  prompt: 'Prompt',
  attention: 'Attention',
  heads: 'Heads',
  composition: 'Composition',
  circuits: 'QK / OV',
  attribution: 'Attribution',
  predictions: 'Predictions',
  interventions: 'Interventions',
  particles: 'Particles',
};

class App implements AppContext {
  private current: ViewState;
  private paletteCache: Palette | undefined;
  private hovered: number | undefined;
  private postedHover: number | null = null;
  private saved: WebviewState;
  private readonly header: Header;
  private readonly views: Record<Tab, View>;
  private readonly tabs: HTMLElementTagNameMap['vscode-tabs'];
  private readonly api = vscodeApi();

  constructor(root: HTMLElement) {
    this.current = initialState(sanitizeSaved(this.api.getState()));
    this.saved = persistedState(this.current);
    this.header = new Header(this);
    this.views = {
      model: new ModelView(this),
      prompt: new PromptView(this),
      attention: new AttentionView(this),
      heads: new HeadsView(this),
      composition: new CompositionView(this),
      circuits: new CircuitsView(this),
      attribution: new AttributionView(this),
      predictions: new PredictionsView(this),
      interventions: new InterventionsView(this),
      particles: new ParticlesView(this),
    };
    this.tabs = document.createElement('vscode-tabs');
    this.tabs.className = 'main-tabs';
    for (const tab of TABS) {
      const header = document.createElement('vscode-tab-header');
      header.textContent = TAB_LABELS[tab];
      header.dataset.tab = tab;
      const panel = document.createElement('vscode-tab-panel');
      panel.appendChild(this.views[tab].element);
      this.tabs.append(header, panel);
    }
    this.tabs.selectedIndex = TABS.indexOf(this.current.tab);
    this.tabs.addEventListener('vsc-tabs-select', (e) => {
      const tab = TABS[e.detail.selectedIndex];
      if (tab) this.dispatch({ type: 'ui/tab', tab });
    });
    root.append(this.header.element, this.tabs);
    this.render(undefined);

    window.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (isToWebview(event.data)) this.apply(event.data);
    });
    const repaint = () => {
      this.paletteCache = undefined;
      for (const view of Object.values(this.views)) view.repaint?.();
    };
    watchTheme(repaint);
    watchPixelRatio(repaint);
    this.api.postMessage({ type: 'ready' });
  }

  // AppContext
  readonly post = (message: Parameters<AppContext['post']>[0]): void => this.api.postMessage(message);

  dispatch(action: UiAction): void {
    this.apply(action);
  }

  state(): ViewState {
    return this.current;
  }

  palette(): Palette {
    this.paletteCache ??= readPalette();
    return this.paletteCache;
  }

  hoveredToken(): number | undefined {
    return this.hovered;
  }

  selectHead(layer: number, head: number): void {
    this.dispatch({ type: 'ui/selectHead', layer, head });
    this.post({ type: 'selectHead', layer, head });
  }

  hoverToken(index: number | undefined): void {
    if (index === this.hovered) return;
    this.hovered = index;
    for (const view of Object.values(this.views)) view.hover?.(index);
    const post = index ?? null;
    if (post !== this.postedHover) {
      this.postedHover = post;
      this.post({ type: 'hoverToken', index: post });
    }
  }

  private apply(action: Action): void {
    const prev = this.current;
    const next = reduce(prev, action);
    if (next === prev) return;
    this.current = next;
    if (next.run?.tokens !== prev.run?.tokens && this.hovered !== undefined) this.hoverToken(undefined);
    this.render(prev);
    this.persist();
    for (const request of wantedRequests(next)) {
      this.apply({ type: 'ui/requested', key: request.key });
      this.post(request.message);
    }
  }

  private render(prev: ViewState | undefined): void {
    const s = this.current;
    this.header.update(s);
    for (const view of Object.values(this.views)) view.update(s, prev);
    if (prev && s.tab !== prev.tab) {
      const index = TABS.indexOf(s.tab);
      if (this.tabs.selectedIndex !== index) this.tabs.selectedIndex = index;
      // Canvases in a hidden tab measured zero: lay them out now that it shows.
      requestAnimationFrame(() => this.views[s.tab].reveal?.());
    }
  }

  private persist(): void {
    const next = persistedState(this.current);
    const keys = Object.keys(next) as (keyof WebviewState)[];
    if (keys.every((k) => next[k] === this.saved[k])) return;
    this.saved = next;
    this.api.setState(next);
  }
}

new App(document.getElementById('app') ?? document.body.appendChild(el('div', { attrs: { id: 'app' } })));
