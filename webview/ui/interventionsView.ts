/**
 * Interventions tab: the active ablations (with Clear), the latest ablation result (metric and loss
 * before → after, the top predictions at the last position and how they changed) or the latest
 * patching sweep (heatmap of the restored metric, with PNG / CSV export), and Save as Experiment.
 */
import { toCsv, toJson } from '../lib/csv';
import { exportBaseName, exportFileName, formatNumber, formatProb } from '../lib/format';
import { interventionLabel, patchColumnTitle, patchComponentText, patchScaleMax, predictionChanges, signedDelta } from '../lib/interventions';
import type { InterventionResult, ViewState } from '../lib/state';
import { visibleWhitespace } from '../lib/tokens';
import type { AppContext, View } from './context';
import { action, clear, el, show } from './dom';
import { HeatmapView } from './heatmap';

type AblationMessage = Extract<InterventionResult, { type: 'ablationResult' }>;
type PatchMessage = Extract<InterventionResult, { type: 'patchResult' }>;

const CHANGE_TEXT = { new: 'new', dropped: 'dropped', moved: 'moved', same: '' } as const;

export class InterventionsView implements View {
  readonly element: HTMLElement;
  private readonly activeList: HTMLElement;
  private readonly activeEmpty: HTMLElement;
  private readonly clearButton: HTMLElement;
  private readonly ablationSection: HTMLElement;
  private readonly ablationTitle: HTMLElement;
  private readonly ablationSummary: HTMLElement;
  private readonly changes: HTMLTableSectionElement;
  private readonly patchSection: HTMLElement;
  private readonly patchSummary: HTMLElement;
  private readonly heatmap: HeatmapView;
  private readonly empty: HTMLElement;
  private readonly saveButtons: HTMLElement[] = [];
  private shown: InterventionResult | undefined;

  constructor(private readonly ctx: AppContext) {
    this.activeList = el('ul', { class: 'ablation-list' });
    this.activeEmpty = el('div', { class: 'hint', text: 'No active ablations. Add some from the palette: Circuit Inspector: Ablate Attention Head… or Ablate MLP Layer…' });
    this.clearButton = action('clear-all', 'Clear ablations', () => ctx.post({ type: 'clearAblations' }));
    const save = () => action('save', 'Save as Experiment…', () => ctx.post({ type: 'saveExperiment' }));
    const saveAblation = save();
    const savePatch = save();
    this.saveButtons.push(saveAblation, savePatch);

    this.ablationTitle = el('h2', { class: 'section-title' });
    this.ablationSummary = el('div', { class: 'intervention-summary' });
    this.changes = el('tbody');
    this.ablationSection = el(
      'section',
      { class: 'section ablation-result' },
      el('div', { class: 'section-header' }, this.ablationTitle, el('span', { class: 'ablated-tag', text: 'ablated' }), el('span', { class: 'spacer' }), action('json', 'Export the result (JSON)', () => this.exportAblation()), saveAblation),
      this.ablationSummary,
      el(
        'table',
        { class: 'data-table changes-table' },
        el('thead', {}, el('tr', {}, el('th', { text: 'Token' }), el('th', { class: 'numeric', text: 'Before' }), el('th', { class: 'numeric', text: 'After' }), el('th', { class: 'numeric', text: 'Rank' }), el('th', { text: '' }))),
        this.changes,
      ),
    );

    this.patchSummary = el('div', { class: 'intervention-summary' });
    this.heatmap = new HeatmapView({ post: ctx.post, palette: () => ctx.palette(), minCell: 4, maxCell: 48 });
    this.patchSection = el(
      'section',
      { class: 'section patch-result' },
      el('div', { class: 'section-header' }, el('h2', { class: 'section-title', text: 'Activation patching' }), el('span', { class: 'spacer' }), action('json', 'Export the grid (JSON)', () => this.exportPatch()), savePatch),
      this.patchSummary,
      this.heatmap.element,
    );
    this.empty = el('div', { class: 'empty-note', text: 'Ablation and patching results appear here: Circuit Inspector: Ablate Attention Head…, Ablate MLP Layer…, Patch Activations…, or a Run experiment CodeLens.' });

    this.element = el(
      'div',
      { class: 'view interventions-view' },
      el(
        'section',
        { class: 'section' },
        el('div', { class: 'section-header' }, el('h2', { class: 'section-title', text: 'Active ablations' }), el('span', { class: 'spacer' }), this.clearButton),
        this.activeList,
        this.activeEmpty,
      ),
      this.ablationSection,
      this.patchSection,
      this.empty,
    );
    new ResizeObserver(() => this.layout()).observe(this.element);
  }

  update(s: ViewState, prev: ViewState | undefined): void {
    if (!prev || prev.ablations !== s.ablations) {
      clear(this.activeList);
      for (const i of s.ablations) this.activeList.appendChild(el('li', { class: 'ablation-item', text: interventionLabel(i) }));
      show(this.activeList, s.ablations.length > 0);
      show(this.activeEmpty, s.ablations.length === 0);
      show(this.clearButton, s.ablations.length > 0);
    }
    const r = s.interventionResult;
    show(this.empty, !r);
    show(this.ablationSection, r?.type === 'ablationResult');
    show(this.patchSection, r?.type === 'patchResult');
    if (r === this.shown) return;
    this.shown = r;
    for (const b of this.saveButtons) show(b, r?.saveable === true);
    if (r?.type === 'ablationResult') this.renderAblation(r);
    else if (r?.type === 'patchResult') this.renderPatch(s, r);
  }

  private renderAblation(m: AblationMessage): void {
    const r = m.result;
    this.ablationTitle.textContent = `Ablation: ${r.interventions.map(interventionLabel).join(', ') || 'none'}`;
    const lines: [string, string][] = [
      [m.metricLabel, `${formatNumber(r.metricBefore)} → ${formatNumber(r.metricAfter)} (${signedDelta(r.metricBefore, r.metricAfter)})`],
    ];
    if (r.lossBefore !== null && r.lossAfter !== null && m.metricLabel !== 'loss') lines.push(['loss', `${formatNumber(r.lossBefore)} → ${formatNumber(r.lossAfter)} (${signedDelta(r.lossBefore, r.lossAfter)})`]);
    lines.push(['prompt', `${m.tokenStrings.length} tokens`]);
    this.ablationSummary.replaceChildren(...lines.map(([k, v]) => el('div', { class: 'summary-row' }, el('span', { class: 'summary-key', text: k }), el('span', { class: 'summary-value', text: v }))));
    this.ablationSummary.title = m.prompt;
    clear(this.changes);
    for (const c of predictionChanges(r.topBefore, r.topAfter)) {
      const rank = c.rankBefore === undefined ? `– → ${c.rankAfter! + 1}` : c.rankAfter === undefined ? `${c.rankBefore + 1} → –` : c.rankBefore === c.rankAfter ? String(c.rankAfter + 1) : `${c.rankBefore + 1} → ${c.rankAfter + 1}`;
      this.changes.appendChild(
        el(
          'tr',
          { class: `change-${c.change}` },
          el('td', { class: 'token-cell', text: visibleWhitespace(c.text) }),
          el('td', { class: 'numeric', text: c.before === undefined ? '–' : formatProb(c.before) }),
          el('td', { class: 'numeric', text: c.after === undefined ? '–' : formatProb(c.after) }),
          el('td', { class: 'numeric', text: rank }),
          el('td', { class: 'change-tag', text: CHANGE_TEXT[c.change] }),
        ),
      );
    }
  }

  private renderPatch(s: ViewState, m: PatchMessage): void {
    const r = m.result;
    this.patchSummary.replaceChildren(
      ...[
        ['patched', patchComponentText(r.component)],
        ['metric', `${m.metricLabel}: clean ${formatNumber(r.cleanMetric)}, corrupted ${formatNumber(r.corruptedMetric)}`],
        ['clean', m.clean],
        ['corrupted', m.corrupted],
      ].map(([k, v]) => el('div', { class: 'summary-row' }, el('span', { class: 'summary-key', text: k! }), el('span', { class: 'summary-value', text: v! }))),
    );
    this.heatmap.setTitle('Restored metric', '(patched − corrupted) / (clean − corrupted)');
    this.heatmap.setData({
      values: r.values,
      offset: 0,
      rows: r.rows,
      cols: r.cols,
      rowLabels: r.labels.rows,
      colLabels: r.labels.cols,
      rowTitle: 'Layer',
      colTitle: patchColumnTitle(r.component),
      valueName: 'Restored',
      scale: { kind: 'diverging', maxAbs: patchScaleMax(r) },
      causal: false,
      masked: (row, col) => !Number.isFinite(r.values[row * r.cols + col]!),
      maskedText: 'undefined (clean = corrupted)',
      showValues: true,
      formatValue: (v) => v.toFixed(2).replace('-', '−'),
      describe: (row, col) => [[`${m.metricLabel} patched`, formatNumber(r.raw[row * r.cols + col]!, 4)]],
      fileName: exportBaseName(s.modelPath, `patch-${r.component}`),
    });
  }

  private layout(): void {
    const width = this.element.clientWidth;
    if (width > 0) this.heatmap.setWidth(Math.min(width, 900));
  }

  reveal(): void {
    this.layout();
  }

  repaint(): void {
    this.heatmap.draw();
  }

  private exportAblation(): void {
    const s = this.ctx.state();
    const m = s.interventionResult;
    if (m?.type !== 'ablationResult') return;
    const rows = predictionChanges(m.result.topBefore, m.result.topAfter).map((c) => [c.id, c.text, c.before ?? null, c.after ?? null, c.change]);
    const data = toJson({ model: s.modelPath, prompt: m.prompt, metric: m.metricLabel, ...m.result, changes: toCsv(['id', 'token', 'before', 'after', 'change'], rows) });
    this.ctx.post({ type: 'save', fileName: exportFileName(s.modelPath, 'ablation', 'json'), data });
  }

  private exportPatch(): void {
    const s = this.ctx.state();
    const m = s.interventionResult;
    if (m?.type !== 'patchResult') return;
    const data = toJson({ model: s.modelPath, clean: m.clean, corrupted: m.corrupted, metric: m.metricLabel, layout: 'values and raw are [row, col] flattened row-major', ...m.result });
    this.ctx.post({ type: 'save', fileName: exportFileName(s.modelPath, `patch-${m.result.component}`, 'json'), data });
  }
}
