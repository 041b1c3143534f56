/**
 * Heads tab: what every head does, from its attention (previous-token, duplicate-token, induction,
 * sink) on this prompt or on repeated random tokens, and from its weights (OV and QK copying).
 * A layers × heads heatmap of the chosen score, the paper's scatter of OV vs QK copying, and a
 * sortable table of all scores. Clicking a cell, point or row selects that head.
 */
import { toJson } from '../lib/csv';
import { exportBaseName, exportFileName, formatNumber, headName } from '../lib/format';
import { HEAD_SCORES, SCORE_INFO, headRows, headScoresCsv, type HeadRow, type HeadScoreKey } from '../lib/heads';
import { headsKey, requestStatus } from '../lib/requests';
import type { ViewState } from '../lib/state';
import type { HeadScores } from '../../src/protocol/engine';
import type { AppContext, View } from './context';
import { radioGroup, RequestNote, select, type Control } from './controls';
import { action, el, show, twoColumns } from './dom';
import { HeatmapView, type CellMark } from './heatmap';
import { HeadsTable } from './headsTable';
import { ScatterPlot } from './scatterPlot';

export class HeadsView implements View {
  readonly element: HTMLElement;
  private readonly source: Control<'prompt' | 'random'>;
  private readonly score: Control<HeadScoreKey>;
  private readonly scoreHint: HTMLElement;
  private readonly processing: HTMLElement;
  private readonly note: RequestNote;
  private readonly body: HTMLElement;
  private readonly heatmap: HeatmapView;
  private readonly scatter: ScatterPlot;
  private readonly table: HeadsTable;
  private readonly count: HTMLElement;
  private shown: { scores: HeadScores; score: HeadScoreKey } | undefined;
  private rows: HeadRow[] = [];

  constructor(private readonly ctx: AppContext) {
    this.source = radioGroup(
      'heads-source',
      'Measure attention scores on',
      [
        { value: 'prompt', label: 'This prompt', title: 'Detector scores on the current run’s tokens' },
        { value: 'random', label: 'Repeated random tokens', title: 'Detector scores on random token sequences repeated twice, as TransformerLens measures induction' },
      ],
      (source) => ctx.dispatch({ type: 'ui/headsSource', source }),
    );
    this.score = select(
      'Score shown in the heatmap',
      HEAD_SCORES.map((k) => ({ value: k, label: SCORE_INFO[k].label })),
      (score) => ctx.dispatch({ type: 'ui/headsScore', score }),
    );
    this.score.element.classList.add('score-select');
    this.scoreHint = el('span', { class: 'hint' });
    this.processing = el('div', { class: 'hint processing' });
    this.note = new RequestNote(() => {
      const s = ctx.state();
      ctx.dispatch({ type: 'ui/retry', key: headsKey(s.headsSource, s.run?.runId) });
    });
    this.heatmap = new HeatmapView({
      post: ctx.post,
      palette: () => ctx.palette(),
      minCell: 4,
      maxCell: 52,
      onClickCell: ({ row, col }) => ctx.selectHead(row, col),
    });
    this.scatter = new ScatterPlot({
      post: ctx.post,
      palette: () => ctx.palette(),
      aspect: 0.9,
      maxHeight: 380,
      onPick: (i) => {
        const r = this.rows[i];
        if (r) ctx.selectHead(r.layer, r.head);
      },
    });
    this.scatter.setTitle('OV vs QK copying', 'each head’s eigenvalue copying scores (Elhage et al. 2021)');
    this.table = new HeadsTable({
      onSort: (sort) => ctx.dispatch({ type: 'ui/headsSort', sort }),
      onPick: (head) => ctx.selectHead(head.layer, head.head),
    });
    this.count = document.createElement('vscode-badge');
    this.count.setAttribute('variant', 'counter');

    const mapSection = el('div', { class: 'heads-map' }, el('div', { class: 'control-row' }, el('label', { class: 'hint', text: 'Score' }), this.score.element, this.scoreHint), this.heatmap.element);
    const charts = el('div', { class: 'heads-charts' }, mapSection, this.scatter.element);
    const tableSection = el(
      'section',
      { class: 'section' },
      el(
        'div',
        { class: 'section-header' },
        el('h2', { class: 'section-title', text: 'All heads' }),
        this.count,
        el('span', { class: 'hint', text: 'click a column to sort · click a row to select the head' }),
        el('span', { class: 'spacer' }),
        action('table', 'Export every score (CSV)', () => this.exportCsv()),
        action('json', 'Export every score (JSON)', () => this.exportJson()),
      ),
      this.table.element,
    );
    this.body = el('div', { class: 'heads-body' }, charts, tableSection);
    this.element = el(
      'div',
      { class: 'view heads-view' },
      el(
        'section',
        { class: 'section' },
        el('div', { class: 'section-header' }, el('h2', { class: 'section-title', text: 'Head scores' }), el('span', { class: 'spacer' }), el('span', { class: 'control-group' }, el('span', { class: 'hint', text: 'Attention measured on' }), this.source.element)),
        this.processing,
        this.note.element,
      ),
      this.body,
    );
    new ResizeObserver(() => this.layout()).observe(this.body);
  }

  private layout(): void {
    const width = this.body.clientWidth;
    if (width <= 0) return;
    const w = twoColumns(this.body, width, 820);
    this.heatmap.setWidth(w);
    this.scatter.setWidth(w);
  }

  update(s: ViewState): void {
    this.source.set(s.headsSource);
    this.score.set(s.headsScore);
    const scores = s.headScores[s.headsSource];
    const status = requestStatus(s, headsKey(s.headsSource, s.run?.runId));
    const what = s.headsSource === 'random' ? 'repeated random tokens' : 'this prompt';
    this.note.update(scores ? undefined : status, {
      idle: !s.card ? 'Load a model to score its heads.' : s.headsSource === 'prompt' && !s.run ? 'Run a prompt to score the heads on it, or measure them on repeated random tokens.' : `Scores on ${what} will appear here.`,
      pending: `Scoring every head on ${what}…`,
      failed: 'Could not score the heads (see the message above).',
    });
    show(this.note.element, !scores);
    show(this.body, !!scores);
    this.processing.textContent = scores ? scores.processing : '';
    show(this.processing, !!scores);
    if (!scores) {
      this.shown = undefined;
      return;
    }
    if (this.shown?.scores !== scores || this.shown.score !== s.headsScore) {
      this.shown = { scores, score: s.headsScore };
      this.rows = headRows(scores);
      this.count.textContent = String(this.rows.length);
      this.renderHeatmap(s, scores);
      this.renderScatter(s, scores);
    }
    this.table.setRows(this.rows, s.headsSort);
    this.mark(s, scores);
  }

  private renderHeatmap(s: ViewState, scores: HeadScores): void {
    const key = s.headsScore;
    const info = SCORE_INFO[key];
    this.scoreHint.textContent = info.description;
    this.heatmap.setTitle(info.label, `${scores.layers} layers × ${scores.heads} heads`);
    const layerLabels = Array.from({ length: scores.layers }, (_, l) => `L${l}`);
    const headLabels = Array.from({ length: scores.heads }, (_, h) => `H${h}`);
    this.heatmap.setData({
      values: scores[key],
      offset: 0,
      rows: scores.layers,
      cols: scores.heads,
      rowLabels: layerLabels,
      colLabels: headLabels,
      rowTitle: 'Layer',
      colTitle: 'Head',
      valueName: info.label,
      scale: info.range === 'unit' ? { kind: 'attention' } : { kind: 'diverging', maxAbs: 1 },
      causal: false,
      showValues: true,
      formatValue: (v) => (Number.isFinite(v) ? v.toFixed(2).replace('-', '−') : formatNumber(v)),
      describe: (row, col) => {
        const i = row * scores.heads + col;
        return HEAD_SCORES.filter((k) => k !== key).map((k) => [SCORE_INFO[k].label, formatNumber(scores[k][i]!, 3)] as const);
      },
      fileName: exportBaseName(s.modelPath, `heads-${key}-${scores.source}`),
    });
  }

  private renderScatter(s: ViewState, scores: HeadScores): void {
    this.scatter.setData({
      xs: scores.copyingOV,
      ys: scores.copyingQK,
      domain: { x: [-1.05, 1.05], y: [-1.05, 1.05] },
      equalAspect: true,
      xTitle: 'OV copying',
      yTitle: 'QK copying',
      names: this.rows.map((r) => headName(r.layer, r.head)),
      describe: (i) => [
        ['OV copying', formatNumber(scores.copyingOV[i]!, 3)],
        ['QK copying', formatNumber(scores.copyingQK[i]!, 3)],
      ],
      csv: () => headScoresCsv(scores),
      fileName: exportBaseName(s.modelPath, 'heads-copying-scatter'),
    });
  }

  private mark(s: ViewState, scores: HeadScores): void {
    const sel = s.selected;
    const partner = s.pair?.from;
    const marks: CellMark[] = [{ row: sel.layer, col: sel.head, style: 'primary' }];
    if (partner) marks.push({ row: partner.layer, col: partner.head, style: 'secondary' });
    this.heatmap.setMarks(marks);
    this.scatter.setMarked(sel.layer * scores.heads + sel.head, partner ? partner.layer * scores.heads + partner.head : undefined);
    this.table.setMarked(sel, partner);
  }

  repaint(): void {
    this.heatmap.draw();
    this.scatter.draw();
  }

  reveal(): void {
    this.layout();
  }

  private current(): { s: ViewState; scores: HeadScores } | undefined {
    const s = this.ctx.state();
    const scores = s.headScores[s.headsSource];
    return scores ? { s, scores } : undefined;
  }

  private exportCsv(): void {
    const c = this.current();
    if (c) this.ctx.post({ type: 'save', fileName: exportFileName(c.s.modelPath, `head-scores-${c.scores.source}`, 'csv'), data: headScoresCsv(c.scores) });
  }

  private exportJson(): void {
    const c = this.current();
    if (!c) return;
    const data = toJson({ model: c.s.modelPath, layout: 'each score is [layer, head] flattened row-major', ...c.scores });
    this.ctx.post({ type: 'save', fileName: exportFileName(c.s.modelPath, `head-scores-${c.scores.source}`, 'json'), data });
  }
}
