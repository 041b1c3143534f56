/**
 * Composition tab: Q-, K- and V-composition scores between every earlier → later pair of heads, as
 * three heatmaps (writer head × reader head) on one shared scale, with the strongest pairs listed.
 * Clicking a cell or a row selects the pair: its later head becomes the selected head.
 */
import { toJson } from '../lib/csv';
import {
  COMPOSITION_KINDS,
  KIND_INFO,
  compositionCsv,
  cropCell,
  cropComposition,
  cropPair,
  pairName,
  pairScore,
  samePair,
  sharedMaxAbs,
  topPairs,
  type CompositionKind,
  type HeadPair,
} from '../lib/composition';
import { exportBaseName, exportFileName, formatNumber, headName } from '../lib/format';
import { compositionKey, requestStatus } from '../lib/requests';
import type { ViewState } from '../lib/state';
import type { CompositionScores } from '../../src/protocol/engine';
import { layoutColumns } from './chartColumns';
import type { AppContext, View } from './context';
import { checkbox, RequestNote, type Control } from './controls';
import { action, clear, el, icon, show } from './dom';
import { HeatmapView } from './heatmap';

const TOP_PAIRS = 10;

export class CompositionView implements View {
  readonly element: HTMLElement;
  private readonly baseline: Control<boolean>;
  private readonly processing: HTMLElement;
  private readonly caption: HTMLElement;
  private readonly note: RequestNote;
  private readonly body: HTMLElement;
  private readonly maps: Record<CompositionKind, HeatmapView>;
  private readonly mapsRow: HTMLElement;
  private readonly topHead: HTMLTableSectionElement;
  private readonly topBody: HTMLTableSectionElement;
  private topKind: CompositionKind = 'k';
  private shown: CompositionScores | undefined;

  constructor(private readonly ctx: AppContext) {
    this.baseline = checkbox('Subtract random baseline', 'Subtract the mean score of random matrices of the same shapes (Elhage et al. 2021)', (baseline) =>
      ctx.dispatch({ type: 'ui/compositionBaseline', baseline }),
    );
    this.processing = el('div', { class: 'hint processing' });
    this.caption = el('div', { class: 'pair-caption' });
    this.note = new RequestNote(() => ctx.dispatch({ type: 'ui/retry', key: compositionKey(ctx.state().compositionBaseline) }));
    const map = () =>
      new HeatmapView({
        post: ctx.post,
        palette: () => ctx.palette(),
        minCell: 2,
        maxCell: 44,
        onClickCell: ({ row, col }) => {
          const pair = this.shown && cropPair(this.shown, row, col);
          if (pair) this.selectPair(pair);
        },
      });
    this.maps = { q: map(), k: map(), v: map() };
    for (const kind of COMPOSITION_KINDS) this.maps[kind].setTitle(KIND_INFO[kind].label, KIND_INFO[kind].description);
    this.topHead = el('thead');
    this.topBody = el('tbody');
    this.topBody.addEventListener('click', (e) => {
      const tr = e.target instanceof Element ? e.target.closest<HTMLElement>('tr[data-pair]') : null;
      const [fl, fh, tl, th] = (tr?.dataset.pair ?? '').split(',').map(Number);
      if (tr && [fl, fh, tl, th].every((v) => Number.isInteger(v))) this.selectPair({ from: { layer: fl!, head: fh! }, to: { layer: tl!, head: th! } });
    });
    const top = el(
      'section',
      { class: 'section top-pairs' },
      el('div', { class: 'section-header' }, el('h2', { class: 'section-title', text: 'Strongest pairs' }), el('span', { class: 'hint', text: 'click a column to rank by it · click a row to select the pair' })),
      el('table', { class: 'data-table pairs-table' }, this.topHead, this.topBody),
    );
    this.mapsRow = el('div', { class: 'chart-columns composition-maps' }, this.maps.q.element, this.maps.k.element, this.maps.v.element);
    this.body = el('div', { class: 'composition-body' }, this.mapsRow, top);
    this.element = el(
      'div',
      { class: 'view composition-view' },
      el(
        'section',
        { class: 'section' },
        el(
          'div',
          { class: 'section-header' },
          el('h2', { class: 'section-title', text: 'Composition' }),
          el('span', { class: 'hint', text: '‖L·R‖_F / (‖L‖_F ‖R‖_F): how much a later head reads what an earlier head writes' }),
          el('span', { class: 'spacer' }),
          this.baseline.element,
          action('table', 'Export every pair (CSV)', () => this.exportCsv()),
          action('json', 'Export the scores (JSON)', () => this.exportJson()),
        ),
        this.processing,
        this.caption,
        this.note.element,
      ),
      this.body,
    );
    new ResizeObserver(() => this.layout()).observe(this.body);
  }

  private selectPair(pair: HeadPair): void {
    this.ctx.dispatch({ type: 'ui/selectPair', pair });
    this.ctx.post({ type: 'selectPair', from: pair.from, to: pair.to });
  }

  private layout(): void {
    const width = this.body.clientWidth;
    if (width <= 0) return;
    const w = layoutColumns(this.mapsRow, width, 960);
    for (const kind of COMPOSITION_KINDS) this.maps[kind].setWidth(w);
  }

  update(s: ViewState): void {
    this.baseline.set(s.compositionBaseline);
    const scores = s.compositionBaseline ? s.composition.baseline : s.composition.raw;
    this.note.update(scores ? undefined : requestStatus(s, compositionKey(s.compositionBaseline)), {
      idle: !s.card ? 'Load a model to see how its heads compose.' : s.card.layers < 2 ? 'Heads compose across layers: this model has one layer.' : 'Composition scores will appear here.',
      pending: 'Computing the composition of every pair of heads…',
      failed: 'Could not compute the composition scores (see the message above).',
    });
    show(this.note.element, !scores);
    show(this.body, !!scores);
    const b = scores?.baseline;
    this.processing.textContent = scores ? `${scores.processing}${b ? ` · random baseline subtracted: Q ${formatNumber(b.q, 3)}, K ${formatNumber(b.k, 3)}, V ${formatNumber(b.v, 3)}` : ''}` : '';
    show(this.processing, !!scores);
    if (scores !== this.shown) {
      this.shown = scores;
      if (scores) this.render(s, scores);
    }
    if (scores) this.renderSelection(s, scores);
    else show(this.caption, false);
  }

  private render(s: ViewState, scores: CompositionScores): void {
    const m = sharedMaxAbs(scores);
    const signed = scores.baseline !== undefined;
    for (const kind of COMPOSITION_KINDS) {
      const crop = cropComposition(scores, kind);
      this.maps[kind].setData({
        values: crop.values,
        offset: 0,
        rows: crop.rows,
        cols: crop.cols,
        rowLabels: crop.rowLabels,
        colLabels: crop.colLabels,
        rowTitle: 'Earlier head (writes)',
        colTitle: 'Later head (reads)',
        valueName: signed ? 'Score − baseline' : 'Score',
        scale: signed ? { kind: 'diverging', maxAbs: m } : { kind: 'sequential', max: m },
        causal: false,
        masked: (r, c) => cropPair(scores, r, c) === undefined,
        maskedText: 'same layer: no composition',
        blocks: scores.heads,
        showValues: true,
        formatValue: (v) => formatNumber(v, 2),
        describe: (r, c) => {
          const pair = cropPair(scores, r, c);
          return pair ? COMPOSITION_KINDS.filter((k) => k !== kind).map((k) => [KIND_INFO[k].label, formatNumber(pairScore(scores, k, pair), 3)] as const) : [];
        },
        fileName: exportBaseName(s.modelPath, `composition-${kind}${signed ? '-minus-baseline' : ''}`),
      });
    }
    this.renderTop(s, scores);
  }

  private renderTop(s: ViewState, scores: CompositionScores): void {
    clear(this.topHead);
    const row = el('tr', {}, el('th', { text: 'Earlier head' }), el('th', { text: 'Later head' }));
    for (const kind of COMPOSITION_KINDS) {
      const th = el('th', { class: 'numeric sortable', title: `Rank by ${KIND_INFO[kind].label}`, attrs: { scope: 'col', tabindex: '0', 'data-kind': kind, 'aria-sort': kind === this.topKind ? 'descending' : 'none' } }, kind.toUpperCase(), kind === this.topKind ? icon('arrow-down', 'sort-icon') : null);
      const choose = () => {
        this.topKind = kind;
        this.renderTop(this.ctx.state(), scores);
      };
      th.addEventListener('click', choose);
      th.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), choose()));
      row.appendChild(th);
    }
    this.topHead.appendChild(row);
    clear(this.topBody);
    for (const p of topPairs(scores, this.topKind, TOP_PAIRS)) {
      const selected = samePair(p, s.pair);
      this.topBody.appendChild(
        el(
          'tr',
          { class: selected ? 'selected' : '', attrs: { 'data-pair': `${p.from.layer},${p.from.head},${p.to.layer},${p.to.head}` } },
          el('td', { class: 'mono', text: headName(p.from.layer, p.from.head) }),
          el('td', { class: 'mono', text: headName(p.to.layer, p.to.head) }),
          ...COMPOSITION_KINDS.map((k) => el('td', { class: k === this.topKind ? 'numeric strong' : 'numeric', text: formatNumber(p[k], 3) })),
        ),
      );
    }
  }

  private renderSelection(s: ViewState, scores: CompositionScores): void {
    const pair = s.pair;
    const cell = pair && cropCell(scores, pair);
    for (const kind of COMPOSITION_KINDS) this.maps[kind].setMarks(cell ? [{ ...cell, style: 'primary' }] : []);
    for (const tr of this.topBody.querySelectorAll<HTMLElement>('tr[data-pair]')) {
      tr.classList.toggle('selected', !!pair && tr.dataset.pair === `${pair.from.layer},${pair.from.head},${pair.to.layer},${pair.to.head}`);
    }
    clear(this.caption);
    if (pair) {
      this.caption.append(
        el('span', { class: 'pair-name', text: pairName(pair) }),
        ...COMPOSITION_KINDS.map((k) => el('span', { class: 'pair-score', text: `${k.toUpperCase()} ${formatNumber(pairScore(scores, k, pair), 3)}` })),
        el('span', { class: 'hint', text: `${headName(pair.to.layer, pair.to.head)} is the selected head` }),
      );
    } else {
      this.caption.append(el('span', { class: 'hint', text: 'Click a cell to select a pair of heads.' }));
    }
    show(this.caption, true);
  }

  repaint(): void {
    for (const kind of COMPOSITION_KINDS) this.maps[kind].draw();
  }

  reveal(): void {
    this.layout();
  }

  private exportCsv(): void {
    const s = this.ctx.state();
    const scores = this.shown;
    if (scores) this.ctx.post({ type: 'save', fileName: exportFileName(s.modelPath, `composition${scores.baseline ? '-minus-baseline' : ''}`, 'csv'), data: compositionCsv(scores) });
  }

  private exportJson(): void {
    const s = this.ctx.state();
    const scores = this.shown;
    if (!scores) return;
    const data = toJson({ model: s.modelPath, layout: 'q, k, v are [layer1, head1, layer2, head2] flattened row-major; zero where layer1 >= layer2', ...scores });
    this.ctx.post({ type: 'save', fileName: exportFileName(s.modelPath, `composition${scores.baseline ? '-minus-baseline' : ''}`, 'json'), data });
  }
}
