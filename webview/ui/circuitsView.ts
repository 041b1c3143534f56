/**
 * QK / OV tab: the selected head's full QK circuit (query token × key token), full OV circuit
 * (source token × output token logit), both on a diverging scale centered on zero, the
 * positional QK pattern for models with learned positions, the eigenvalues of both circuits with
 * their copying scores, and the head's skip-trigram tables for a picked token.
 */
import { maxAbs } from '../lib/color';
import { exportBaseName, headName } from '../lib/format';
import { selectedCircuits, type ViewState } from '../lib/state';
import type { CircuitsResult } from '../../src/protocol/engine';
import type { AppContext, View } from './context';
import { el, show, twoColumns } from './dom';
import { HeatmapView } from './heatmap';
import { SkipTrigramsSection } from './skipTrigramsSection';
import { SpectrumSection } from './spectrumSection';

export class CircuitsView implements View {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly processing: HTMLElement;
  private readonly note: HTMLElement;
  private readonly body: HTMLElement;
  private readonly qk: HeatmapView;
  private readonly ov: HeatmapView;
  private readonly pos: HeatmapView;
  private readonly spectrum: SpectrumSection;
  private readonly skip: SkipTrigramsSection;
  private shown: CircuitsResult | undefined;

  constructor(private readonly ctx: AppContext) {
    const options = { post: ctx.post, palette: () => ctx.palette(), minCell: 1, maxCell: 26 };
    this.qk = new HeatmapView(options);
    this.ov = new HeatmapView(options);
    this.pos = new HeatmapView(options);
    this.qk.setTitle('QK circuit', 'which key tokens each query token attends to, before softmax');
    this.ov.setTitle('OV circuit', 'how attending to a source token raises each output token’s logit');
    this.pos.setTitle('Positional QK', 'attention from learned positions alone (causal softmax)');
    this.title = el('h2', { class: 'section-title' });
    this.processing = el('span', { class: 'hint processing' });
    this.note = el('div', { class: 'empty-note' });
    this.body = el('div', { class: 'circuits-body' }, this.qk.element, this.ov.element, this.pos.element);
    this.spectrum = new SpectrumSection(ctx);
    this.skip = new SkipTrigramsSection(ctx);
    this.element = el(
      'div',
      { class: 'view circuits-view' },
      el('section', { class: 'section' }, el('div', { class: 'section-header' }, this.title, this.processing), this.note, this.body),
      this.spectrum.element,
      this.skip.element,
    );
    new ResizeObserver(() => this.layout()).observe(this.body);
  }

  private layout(): void {
    const width = this.body.clientWidth;
    if (width <= 0) return;
    const w = twoColumns(this.body, width, 900);
    this.qk.setWidth(w);
    this.ov.setWidth(w);
    this.pos.setWidth(w);
    this.spectrum.setWidth(width);
  }

  update(s: ViewState): void {
    const { layer, head } = s.selected;
    this.title.textContent = `Circuits of ${headName(layer, head)}`;
    const c = selectedCircuits(s);
    this.processing.textContent = c?.processing ?? '';
    this.note.textContent = !s.card ? 'Load a model to see its circuits.' : !s.run ? `Run a prompt: the circuits of ${headName(layer, head)} are computed on its tokens.` : `Computing the circuits of ${headName(layer, head)}…`;
    show(this.note, !c);
    show(this.body, !!c);
    this.spectrum.set(c, s.modelPath);
    this.skip.update(s);
    if (c === this.shown) return;
    this.shown = c;
    if (!c) return;
    const labels = c.tokenStrings ?? c.tokens.map((t) => `#${t}`);
    const t = c.tokens.length;
    const name = headName(c.layer, c.head);
    this.qk.setData({
      values: c.qk,
      offset: 0,
      rows: t,
      cols: t,
      rowLabels: labels,
      colLabels: labels,
      rowTitle: 'Query token',
      colTitle: 'Key token',
      valueName: 'Score',
      scale: { kind: 'diverging', maxAbs: maxAbs(c.qk) },
      causal: false,
      fileName: exportBaseName(s.modelPath, `qk-${name}`),
    });
    this.ov.setData({
      values: c.ov,
      offset: 0,
      rows: t,
      cols: t,
      rowLabels: labels,
      colLabels: labels,
      rowTitle: 'Source token',
      colTitle: 'Output token',
      valueName: 'Logit',
      scale: { kind: 'diverging', maxAbs: maxAbs(c.ov) },
      causal: false,
      fileName: exportBaseName(s.modelPath, `ov-${name}`),
    });
    const positions = c.positions ?? 0;
    show(this.pos.element, !!c.positionalQk && positions > 0);
    if (c.positionalQk && positions > 0) {
      const posLabels = Array.from({ length: positions }, (_, i) => String(i));
      this.pos.setData({
        values: c.positionalQk,
        offset: 0,
        rows: positions,
        cols: positions,
        rowLabels: posLabels,
        colLabels: posLabels,
        rowTitle: 'Query position',
        colTitle: 'Key position',
        valueName: 'Weight',
        scale: { kind: 'attention' },
        causal: true,
        fileName: exportBaseName(s.modelPath, `positional-qk-${name}`),
      });
    } else {
      this.pos.setData(undefined);
    }
    this.hover(this.ctx.hoveredToken());
  }

  /** A hovered prompt token highlights its distinct token's row (query / source) or column, and its position. */
  hover(index: number | undefined): void {
    const s = this.ctx.state();
    const c = this.shown;
    const dir = s.hoverDirection;
    const id = index !== undefined ? s.run?.tokens[index] : undefined;
    const distinct = c && id !== undefined ? c.tokens.indexOf(id) : -1;
    this.qk.setHighlight(distinct >= 0 ? distinct : undefined, dir);
    // OV rows are source tokens: the hovered token's row shows what copying it writes.
    this.ov.setHighlight(distinct >= 0 ? distinct : undefined, 'query');
    this.pos.setHighlight(index, dir);
    this.skip.hover(index);
  }

  repaint(): void {
    this.qk.draw();
    this.ov.draw();
    this.pos.draw();
    this.spectrum.repaint();
  }

  reveal(): void {
    this.layout();
  }
}
