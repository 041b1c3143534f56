/**
 * Attribution tab: direct logit attribution at a position — how much the embeddings, each layer's
 * attention and MLP, and each head write directly toward the logit of a target token (default:
 * the top prediction), or toward target minus a contrast token — and the logit lens table.
 */
import {
  attributionCsv,
  attributionTotal,
  componentBars,
  lensCsv,
  lensTable,
  tokenText as predictionText,
  topHeadBars,
  type Bar,
} from '../lib/attribution';
import { maxAbs } from '../lib/color';
import { toJson } from '../lib/csv';
import { exportBaseName, exportFileName, formatNumber, formatProb, topPredictions } from '../lib/format';
import { attributionQuery, requestStatus } from '../lib/requests';
import type { ViewState } from '../lib/state';
import { visibleWhitespace } from '../lib/tokens';
import type { Attribution } from '../../src/protocol/engine';
import { BarChart } from './barChart';
import type { AppContext, View } from './context';
import { RequestNote, select, type SelectControl } from './controls';
import { action, clear, el, show, twoColumns } from './dom';
import { HeatmapView } from './heatmap';
import { LogitLens } from './logitLens';
import { TokenStrip } from './tokenStrip';
import { tokenText } from './tokenTable';

const TOP_HEADS = 12;
const NONE = '';

export class AttributionView implements View {
  readonly element: HTMLElement;
  private readonly strip: TokenStrip;
  private readonly heading: HTMLElement;
  private readonly target: SelectControl<string>;
  private readonly contrast: SelectControl<string>;
  private readonly total: HTMLElement;
  private readonly note: RequestNote;
  private readonly body: HTMLElement;
  private readonly components: BarChart;
  private readonly heads: BarChart;
  private readonly headMap: HeatmapView;
  private readonly lens: LogitLens;
  private readonly lensSection: HTMLElement;
  private readonly stripSection: HTMLElement;
  private readonly attributionSection: HTMLElement;
  private readonly empty: HTMLElement;
  private shown: Attribution | undefined;
  private topBars: Bar[] = [];
  private optionsFor = '';
  private tokens: readonly number[] | undefined;

  /** "ablated: 1.2, 0.3" when the run was computed under ablations. */
  private readonly ablatedMark = el('div', { class: 'ablated-mark', attrs: { role: 'status', title: 'Everything in this view is computed with these components ablated (Interventions tab)' } });

  constructor(private readonly ctx: AppContext) {
    this.strip = new TokenStrip({
      label: 'Pick the position to attribute',
      onHover: (i) => ctx.hoverToken(i),
      onPick: (i) => ctx.dispatch({ type: 'ui/predictionPos', pos: i }),
    });
    this.heading = el('h2', { class: 'section-title' });
    this.target = select('Target token', [], (v) => ctx.dispatch({ type: 'ui/attributionTarget', target: v === NONE ? undefined : Number(v) }));
    this.contrast = select('Contrast token', [], (v) => ctx.dispatch({ type: 'ui/attributionContrast', contrast: v === NONE ? undefined : Number(v) }));
    this.total = el('span');
    this.note = new RequestNote(() => {
      const q = attributionQuery(ctx.state());
      if (q) ctx.dispatch({ type: 'ui/retry', key: q.key });
    });
    const post = ctx.post;
    const palette = () => ctx.palette();
    this.components = new BarChart({ post, palette });
    this.components.setTitle('Layers', 'embeddings, then each layer’s attention and MLP output');
    this.heads = new BarChart({
      post,
      palette,
      onPick: (i) => {
        const b = this.topBars[i];
        if (b?.layer !== undefined && b.head !== undefined) ctx.selectHead(b.layer, b.head);
      },
    });
    this.headMap = new HeatmapView({ post, palette, minCell: 4, maxCell: 44, onClickCell: ({ row, col }) => ctx.selectHead(row, col) });
    this.lens = new LogitLens({ onPick: (pos) => ctx.dispatch({ type: 'ui/predictionPos', pos }) });
    this.body = el('div', { class: 'attribution-body' }, this.components.element, el('div', { class: 'attribution-heads' }, this.heads.element, this.headMap.element));
    this.lensSection = el(
      'section',
      { class: 'section' },
      el(
        'div',
        { class: 'section-header' },
        el('h2', { class: 'section-title', text: 'Logit lens' }),
        el('span', { class: 'hint', text: 'the top next token read off the residual stream after each layer (final LayerNorm and unembedding) · click a position to attribute there' }),
        el('span', { class: 'spacer' }),
        action('table', 'Export the logit lens (CSV)', () => this.exportLens()),
      ),
      this.lens.element,
    );
    this.empty = el('div', { class: 'empty-note', text: 'Run a prompt to attribute its predictions.' });
    this.stripSection = el(
      'section',
      { class: 'section' },
      el('div', { class: 'section-header' }, el('h2', { class: 'section-title', text: 'Tokens' }), el('span', { class: 'hint', text: 'click a token: attribute the prediction made there' })),
      this.strip.element,
    );
    this.attributionSection = el(
      'section',
      { class: 'section attribution-section' },
      el(
        'div',
        { class: 'section-header' },
        this.heading,
        el('span', { class: 'spacer' }),
        action('table', 'Export the attribution (CSV)', () => this.exportCsv()),
        action('json', 'Export the attribution and logit lens (JSON)', () => this.exportJson()),
      ),
      el(
        'div',
        { class: 'control-row' },
        el('span', { class: 'control-group' }, el('label', { class: 'hint', text: 'Target' }), this.target.element),
        el('span', { class: 'control-group' }, el('label', { class: 'hint', text: 'minus' }), this.contrast.element),
      ),
      el('div', { class: 'hint' }, this.total),
      this.note.element,
      this.body,
    );
    this.element = el('div', { class: 'view attribution-view' }, this.ablatedMark, this.stripSection, this.empty, this.attributionSection, this.lensSection);
    new ResizeObserver(() => this.layout()).observe(this.body);
  }

  private layout(): void {
    const width = this.body.clientWidth;
    if (width <= 0) return;
    const w = twoColumns(this.body, width, 820);
    this.components.setWidth(w);
    this.heads.setWidth(w);
    this.headMap.setWidth(w);
  }

  update(s: ViewState): void {
    const run = s.run;
    this.ablatedMark.textContent = run?.ablated?.length ? `ablated: ${run.ablated.join(', ')}` : '';
    show(this.ablatedMark, !!run?.ablated?.length);
    show(this.empty, !run);
    for (const section of [this.stripSection, this.attributionSection, this.lensSection]) show(section, !!run);
    if (!run) return;
    if (run.tokens !== this.tokens) {
      this.tokens = run.tokens;
      this.strip.setTokens(run.tokenStrings, run.tokens);
    }
    const q = attributionQuery(s);
    if (!q) return;
    this.strip.setPicked(q.position);
    this.renderChoices(s, q.position, q.target, q.contrast);
    const a = s.attributions.get(q.key);
    this.note.update(a ? undefined : requestStatus(s, q.key), {
      idle: 'The attribution will appear here.',
      pending: 'Attributing the logit to every component…',
      failed: 'Could not attribute the logit (see the message above).',
    });
    show(this.note.element, !a);
    show(this.body, !!a);
    // A new run drops the old attribution; while another position is computing, the lens (which
    // covers every position) stays from the last one.
    if (this.shown && s.attributions.size === 0) this.shown = undefined;
    if (a && a !== this.shown) {
      this.shown = a;
      this.render(s, a);
    }
    show(this.lensSection, !!this.shown);
    this.lens.setPicked(q.position);
    if (a) this.mark(s);
  }

  private renderChoices(s: ViewState, pos: number, target: number, contrast: number | undefined): void {
    const run = s.run!;
    clear(this.heading);
    this.heading.append('Direct logit attribution at ', tokenText(run.tokenStrings[pos] ?? '', 'token-text inline-token'), ` (#${pos})`);
    const key = `${run.runId}:${pos}:${target}:${contrast}`;
    if (key === this.optionsFor) return;
    this.optionsFor = key;
    const rows = topPredictions(run.predictions, pos);
    const label = (id: number, prob?: number) => `${visibleWhitespace(predictionText(run.predictions, pos, id))}${prob !== undefined ? `  ${formatProb(prob)}` : ''}`;
    const targets = rows.map((r, i) => ({ value: String(r.id), label: `${label(r.id, r.prob)}${i === 0 ? '  (top)' : ''}` }));
    if (!rows.some((r) => r.id === target)) targets.push({ value: String(target), label: label(target) });
    const contrasts = [{ value: NONE, label: 'nothing (the logit itself)' }, ...rows.filter((r) => r.id !== target).map((r) => ({ value: String(r.id), label: label(r.id, r.prob) }))];
    this.target.setChoices(targets, String(target));
    this.contrast.setChoices(contrasts, contrast === undefined ? NONE : String(contrast));
  }

  private render(s: ViewState, a: Attribution): void {
    const run = s.run!;
    const card = s.card;
    const heads = card?.heads ?? run.heads;
    const layers = a.attn.length;
    const targetText = predictionText(run.predictions, a.position, a.target);
    // W_U is centered, so without a contrast the value is the logit minus the mean logit.
    const what = a.contrast === undefined ? `logit(${visibleWhitespace(targetText)}) − mean logit` : `logit(${visibleWhitespace(targetText)}) − logit(${visibleWhitespace(predictionText(run.predictions, a.position, a.contrast))})`;
    this.total.textContent = `${what}: direct contributions sum to ${formatNumber(attributionTotal(a), 4)}${a.logit !== undefined ? ` · forward pass ${formatNumber(a.logit, 4)}` : ''}`;
    const valueName = a.contrast === undefined ? 'Logit' : 'Logit difference';
    const base = (what: string) => exportBaseName(s.modelPath, `attribution-${what}-pos${a.position}`);
    this.components.setData({ bars: componentBars(a), valueName, csv: () => attributionCsv(a, heads), fileName: base('layers') });
    this.topBars = topHeadBars(a, heads, TOP_HEADS);
    this.heads.setTitle(`Top ${this.topBars.length} heads`, 'by |direct contribution| · click to select');
    this.heads.setData({ bars: this.topBars.map((b) => ({ ...b, pickable: true })), valueName, csv: () => attributionCsv(a, heads), fileName: base('heads') });
    this.headMap.setTitle('Every head', `${layers} layers × ${heads} heads`);
    this.headMap.setData({
      values: a.heads,
      offset: 0,
      rows: layers,
      cols: heads,
      rowLabels: Array.from({ length: layers }, (_, l) => `L${l}`),
      colLabels: Array.from({ length: heads }, (_, h) => `H${h}`),
      rowTitle: 'Layer',
      colTitle: 'Head',
      valueName,
      scale: { kind: 'diverging', maxAbs: maxAbs(a.heads) },
      causal: false,
      showValues: true,
      formatValue: (v) => formatNumber(v, 2),
      fileName: base('head-map'),
    });
    this.lens.set(lensTable(a), run.tokenStrings, this.ctx.palette());
  }

  private mark(s: ViewState): void {
    const sel = s.selected;
    this.headMap.setMarks([{ row: sel.layer, col: sel.head, style: 'primary' }]);
    const i = this.topBars.findIndex((b) => b.layer === sel.layer && b.head === sel.head);
    this.heads.setMarked(i >= 0 ? i : undefined);
  }

  hover(index: number | undefined): void {
    this.strip.setHovered(index);
  }

  repaint(): void {
    this.components.draw();
    this.heads.draw();
    this.headMap.draw();
    this.lens.repaint(this.ctx.palette());
  }

  reveal(): void {
    this.layout();
    this.lens.scrollToPicked();
  }

  private exportCsv(): void {
    const s = this.ctx.state();
    const a = this.shown;
    if (a) this.ctx.post({ type: 'save', fileName: exportFileName(s.modelPath, `attribution-pos${a.position}`, 'csv'), data: attributionCsv(a, s.card?.heads ?? s.run?.heads ?? 1) });
  }

  private exportJson(): void {
    const s = this.ctx.state();
    const a = this.shown;
    if (!a) return;
    const data = toJson({ model: s.modelPath, tokens: s.run?.tokens, tokenStrings: s.run?.tokenStrings, layout: 'heads is [layer, head]; lens ids/probs are [layer + 1, position, k] (row 0 = embeddings)', ...a });
    this.ctx.post({ type: 'save', fileName: exportFileName(s.modelPath, `attribution-pos${a.position}`, 'json'), data });
  }

  private exportLens(): void {
    const s = this.ctx.state();
    const a = this.shown;
    if (a && s.run) this.ctx.post({ type: 'save', fileName: exportFileName(s.modelPath, 'logit-lens', 'csv'), data: lensCsv(lensTable(a), s.run.tokenStrings) });
  }
}
