/**
 * Attention tab: the thumbnail grid of every head, the large heatmap of the locked (or hovered)
 * head, and the token strip. Hovering a token highlights its row (as query: what it attends to)
 * or its column (as key: what attends to it) in the heatmap and in every thumbnail, and shades
 * the strip by that row or column of the shown head.
 */
import { exportBaseName, exportFileName, headName } from '../lib/format';
import type { HeadRef, HoverDirection } from '../lib/layout';
import { gridShape, patternsReceived, type ViewState } from '../lib/state';
import { AttentionGrid } from './attentionGrid';
import { cssColor } from '../lib/color';
import { toJson } from '../lib/csv';
import type { AppContext, View } from './context';
import { action, el, show } from './dom';
import { HeatmapView } from './heatmap';
import { TokenStrip } from './tokenStrip';

export class AttentionView implements View {
  readonly element: HTMLElement;
  private readonly grid: AttentionGrid;
  private readonly heatmap: HeatmapView;
  private readonly strip: TokenStrip;
  private readonly body: HTMLElement;
  private readonly gridSection: HTMLElement;
  private readonly detailSection: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly progress: HTMLElement;
  private readonly direction: HTMLElementTagNameMap['vscode-radio-group'];
  private readonly radios: Record<HoverDirection, HTMLElementTagNameMap['vscode-radio']>;
  private preview: HeadRef | undefined;
  private shownKey = '';

  /** "ablated: 1.2, 0.3" when the run was computed under ablations. */
  private readonly ablatedMark = el('div', { class: 'ablated-mark', attrs: { role: 'status', title: 'Everything in this view is computed with these components ablated (Interventions tab)' } });

  constructor(private readonly ctx: AppContext) {
    this.grid = new AttentionGrid({
      palette: () => ctx.palette(),
      onPreview: (head) => {
        this.preview = head;
        this.renderDetail();
      },
      onLock: (head) => {
        ctx.dispatch({ type: 'ui/selectHead', layer: head.layer, head: head.head });
        ctx.post({ type: 'selectHead', layer: head.layer, head: head.head });
      },
    });
    this.heatmap = new HeatmapView({ post: ctx.post, palette: () => ctx.palette(), minCell: 1, maxCell: 28, inlineSubtitle: true });
    this.strip = new TokenStrip({
      label: 'Prompt tokens',
      onHover: (i) => ctx.hoverToken(i),
      onPick: (i) => ctx.dispatch({ type: 'ui/predictionPos', pos: i }),
    });

    this.direction = document.createElement('vscode-radio-group');
    this.direction.setAttribute('aria-label', 'What a hovered token highlights');
    const radio = (value: HoverDirection, label: string, title: string) => {
      const r = document.createElement('vscode-radio');
      r.name = 'hover-direction';
      r.value = value;
      r.dataset.direction = value;
      r.label = label;
      r.textContent = label;
      r.title = title;
      this.direction.appendChild(r);
      return r;
    };
    this.radios = {
      query: radio('query', 'Attends to', 'As query: highlight the row of the hovered token — the keys it attends to'),
      key: radio('key', 'Attended by', 'As key: highlight the column of the hovered token — the queries that attend to it'),
    };
    this.direction.addEventListener('change', () => {
      const value = this.radios.key.checked ? 'key' : 'query';
      ctx.dispatch({ type: 'ui/hoverDirection', direction: value });
    });

    this.progress = el('span', { class: 'hint' });
    this.gridSection = el(
      'section',
      { class: 'section grid-section' },
      el(
        'div',
        { class: 'section-header' },
        el('h2', { class: 'section-title', text: 'Heads' }),
        this.progress,
        el('span', { class: 'spacer' }),
        action('file-media', 'Export all heads (PNG)', () => void this.exportGrid()),
        action('json', 'Export every pattern of this run (JSON)', () => this.exportPatterns()),
      ),
      el('div', { class: 'hint grid-hint', text: 'Hover to preview · click to lock · arrow keys move' }),
      this.grid.element,
    );
    this.detailSection = el('section', { class: 'section detail-section' }, this.heatmap.element);
    this.body = el('div', { class: 'attention-body' }, this.gridSection, this.detailSection);
    this.empty = el('div', { class: 'empty-note', text: 'Run a prompt to see every head’s attention pattern.' });
    this.element = el(
      'div',
      { class: 'view attention-view' },
      this.ablatedMark,
      el(
        'section',
        { class: 'section' },
        el('div', { class: 'section-header' }, el('h2', { class: 'section-title', text: 'Tokens' }), el('span', { class: 'spacer' }), el('span', { class: 'hint', text: 'Hovered token:' }), this.direction),
        this.strip.element,
      ),
      this.empty,
      this.body,
    );
    new ResizeObserver(() => this.layout()).observe(this.body);
  }

  /** Splits the width between the grid and the heatmap: side by side when both fit, stacked otherwise. */
  private layout(): void {
    const width = this.body.clientWidth;
    if (width <= 0) return;
    const { heads } = gridShape(this.ctx.state());
    const gridNeed = Math.max(160, heads * (thumbMax(heads) + 4) + 34);
    const sideBySide = width - gridNeed - 24 >= 380;
    this.body.classList.toggle('stacked', !sideBySide);
    const gridWidth = sideBySide ? gridNeed : width;
    this.grid.setWidth(gridWidth, thumbMax(heads));
    this.heatmap.setWidth(sideBySide ? width - gridWidth - 24 : width);
  }

  update(s: ViewState, prev: ViewState | undefined): void {
    const run = s.run;
    this.ablatedMark.textContent = run?.ablated?.length ? `ablated: ${run.ablated.join(', ')}` : '';
    show(this.ablatedMark, !!run?.ablated?.length);
    show(this.empty, !run);
    show(this.body, !!run);
    show(this.strip.element.parentElement!, !!run);
    if (run !== prev?.run) {
      if (run?.tokens !== prev?.run?.tokens || run?.runId !== prev?.run?.runId) this.strip.setTokens(run?.tokenStrings ?? [], run?.tokens ?? []);
      this.grid.setPatterns(run ? { layers: run.layers, heads: run.heads, tokens: run.tokens.length, patterns: run.patterns } : undefined);
      const got = patternsReceived(s);
      this.progress.textContent = run ? (got < run.layers ? `${run.layers} layers × ${run.heads} heads · ${got}/${run.layers} loaded` : `${run.layers} layers × ${run.heads} heads`) : '';
      if (run && (run.layers !== prev?.run?.layers || run.heads !== prev?.run?.heads)) this.layout();
    }
    if (s.selected !== prev?.selected) this.grid.setSelected(s.selected);
    if (s.hoverDirection !== prev?.hoverDirection || !prev) {
      this.radios.query.checked = s.hoverDirection === 'query';
      this.radios.key.checked = s.hoverDirection === 'key';
      this.hover(this.ctx.hoveredToken());
    }
    this.strip.setPicked(run ? s.predictionPos : undefined);
    this.renderDetail();
  }

  /** The head the heatmap shows: the hovered thumbnail, else the locked head. */
  private shownHead(): HeadRef {
    return this.preview ?? this.ctx.state().selected;
  }

  private renderDetail(): void {
    const s = this.ctx.state();
    const run = s.run;
    const head = this.shownHead();
    const data = run?.patterns[head.layer];
    const key = `${run?.runId}:${head.layer}:${head.head}:${data ? 1 : 0}`;
    const preview = this.preview !== undefined && (this.preview.layer !== s.selected.layer || this.preview.head !== s.selected.head);
    this.heatmap.setTitle(`Layer ${head.layer} · Head ${head.head}`, preview ? 'preview — click to lock' : 'locked');
    if (key === this.shownKey) return;
    this.shownKey = key;
    if (!run) {
      this.heatmap.setData(undefined);
      return;
    }
    const n = run.tokens.length;
    if (!data) {
      this.heatmap.setData(undefined, `Waiting for layer ${head.layer}…`);
    } else {
      this.heatmap.setData({
        values: data,
        offset: head.head * n * n,
        rows: n,
        cols: n,
        rowLabels: run.tokenStrings,
        colLabels: run.tokenStrings,
        rowTitle: 'Query',
        colTitle: 'Key',
        valueName: 'Weight',
        scale: { kind: 'attention' },
        causal: true,
        fileName: exportBaseName(s.modelPath, `attention-${headName(head.layer, head.head)}`),
      });
    }
    this.hover(this.ctx.hoveredToken());
  }

  hover(index: number | undefined): void {
    const s = this.ctx.state();
    const dir = s.hoverDirection;
    this.strip.setHovered(index);
    this.grid.setHighlight(index, dir);
    this.heatmap.setHighlight(index, dir);
    // Shade the strip by the shown head's row (query) or column (key) of the hovered token.
    const run = s.run;
    const head = this.shownHead();
    const data = run?.patterns[head.layer];
    if (!run || !data || index === undefined) {
      this.strip.setShades(undefined, this.ctx.palette(), this.ctx.palette().accent);
      return;
    }
    const n = run.tokens.length;
    const base = head.head * n * n;
    const weights = new Float32Array(n);
    let max = 0;
    for (let j = 0; j < n; j++) {
      const w = dir === 'query' ? data[base + index * n + j]! : data[base + j * n + index]!;
      weights[j] = w;
      if (w > max) max = w;
    }
    if (max > 0) for (let j = 0; j < n; j++) weights[j] = weights[j]! / max;
    const p = this.ctx.palette();
    this.strip.setShades(weights, p, p.accent);
  }

  repaint(): void {
    this.grid.draw();
    this.heatmap.draw();
  }

  reveal(): void {
    this.layout();
  }

  /** All patterns of the run: one flat [head, query, key] array per layer. */
  private exportPatterns(): void {
    const s = this.ctx.state();
    const run = s.run;
    if (!run) return;
    const data = toJson({
      model: s.modelPath,
      runId: run.runId,
      layers: run.layers,
      heads: run.heads,
      tokens: run.tokens,
      tokenStrings: run.tokenStrings,
      layout: 'patterns[layer] is [head, query, key] flattened row-major',
      patterns: run.patterns.map((p) => p ?? null),
    });
    this.ctx.post({ type: 'save', fileName: exportFileName(s.modelPath, 'attention-patterns', 'json'), data });
  }

  private async exportGrid(): Promise<void> {
    const s = this.ctx.state();
    if (!s.run) return;
    const data = await this.grid.png(cssColor(this.ctx.palette().background));
    this.ctx.post({ type: 'save', fileName: exportFileName(s.modelPath, 'attention-heads', 'png'), data });
  }
}

/** Thumbnails get larger when there are few heads to show. */
function thumbMax(heads: number): number {
  return heads <= 6 ? 96 : 72;
}
