/**
 * The selected head as the interaction kernel between its layer's particles: its attention pattern
 * beside the particles' pairwise cosines (the kernel exp(β⟨xᵢ, xⱼ⟩) of the paper is a function of
 * these), and the pre-softmax scores against the cosines with the fitted effective β and R².
 */
import { exportBaseName, formatNumber, headName } from '../lib/format';
import { kernelPoints } from '../lib/particles';
import { kernelQuery } from '../lib/particlesState';
import { requestStatus } from '../lib/requests';
import { gridShape, type ViewState } from '../lib/state';
import type { ParticleKernel } from '../../src/protocol/particles';
import { layoutColumns } from './chartColumns';
import type { AppContext } from './context';
import { RequestNote, select, type SelectControl } from './controls';
import { el, show } from './dom';
import { HeatmapView } from './heatmap';
import { ScatterPlot } from './scatterPlot';

export class ParticlesKernelSection {
  readonly element: HTMLElement;
  private readonly headSelect: SelectControl<string>;
  private readonly fit: HTMLElement;
  private readonly note: RequestNote;
  private readonly body: HTMLElement;
  private readonly pattern: HeatmapView;
  private readonly cosines: HeatmapView;
  private readonly scores: ScatterPlot;
  private shown: ParticleKernel | undefined;
  private headChoices = '';

  constructor(ctx: AppContext) {
    this.headSelect = select<string>('Head', [], (value) => {
      const [layer, head] = value.split(':').map(Number);
      if (Number.isInteger(layer) && Number.isInteger(head)) ctx.selectHead(layer!, head!);
    });
    this.fit = el('div', { class: 'kernel-fit' });
    this.note = new RequestNote(() => {
      const q = kernelQuery(ctx.state());
      if (q) ctx.dispatch({ type: 'ui/retry', key: q.key });
    });
    const heatmap = () => new HeatmapView({ post: ctx.post, palette: () => ctx.palette(), maxCell: 22, minCell: 3, onHoverCell: (cell) => ctx.hoverToken(cell?.row) });
    this.pattern = heatmap();
    this.cosines = heatmap();
    this.scores = new ScatterPlot({ post: ctx.post, palette: () => ctx.palette(), aspect: 0.75, maxHeight: 320 });
    this.body = el('div', { class: 'chart-columns kernel-maps' }, this.pattern.element, this.cosines.element, this.scores.element);
    this.element = el(
      'section',
      { class: 'section particles-kernel' },
      el(
        'div',
        { class: 'section-header' },
        el('h2', { class: 'section-title', text: 'Attention as the interaction kernel' }),
        el('span', { class: 'hint', text: 'pre-softmax scores ≈ β·cos(xᵢ, xⱼ) + cᵢ over the causal pairs' }),
        el('span', { class: 'spacer' }),
        this.headSelect.element,
      ),
      this.fit,
      this.note.element,
      this.body,
    );
  }

  /** Width for the three charts (two or three to a row). */
  setWidth(width: number): void {
    const w = layoutColumns(this.body, width, 980);
    this.pattern.setWidth(w);
    this.cosines.setWidth(w);
    this.scores.setWidth(w);
  }

  update(s: ViewState): void {
    const { layers, heads } = gridShape(s);
    const choices = `${layers}:${heads}`;
    if (choices !== this.headChoices) {
      this.headChoices = choices;
      const list = [];
      for (let l = 0; l < layers; l++) for (let h = 0; h < heads; h++) list.push({ value: `${l}:${h}`, label: `Layer ${l} · Head ${h}` });
      this.headSelect.setChoices(list, `${s.selected.layer}:${s.selected.head}`);
    }
    this.headSelect.set(`${s.selected.layer}:${s.selected.head}`);
    const q = kernelQuery(s);
    const kernel = q ? s.kernels.get(q.key) : undefined;
    this.note.update(kernel ? undefined : requestStatus(s, q?.key), {
      idle: s.run ? 'The kernel of the selected head will appear here.' : 'Run a prompt to see a head as the interaction kernel between its particles.',
      pending: `Computing ${headName(s.selected.layer, s.selected.head)} as a kernel…`,
      failed: 'Could not compute the kernel (see the message above).',
    });
    show(this.note.element, !kernel);
    show(this.body, !!kernel);
    show(this.fit, !!kernel);
    if (kernel === this.shown) return;
    this.shown = kernel;
    if (kernel && s.run) this.render(s, kernel, s.run.tokenStrings);
  }

  private render(s: ViewState, k: ParticleKernel, tokens: readonly string[]): void {
    const n = Math.round(Math.sqrt(k.pattern.length));
    const labels = tokens.length === n ? tokens : Array.from({ length: n }, (_, i) => String(i));
    const name = headName(k.layer, k.head);
    this.fit.replaceChildren(
      el('span', { class: 'pair-name', text: name }),
      el('span', { class: 'pair-score', text: `effective β ${formatNumber(k.effectiveBeta, 3)}` }),
      el('span', { class: 'pair-score', text: `R² ${formatNumber(k.r2, 3)}` }),
      el('span', { class: 'hint', text: `particles entering layer ${k.layer}` }),
    );
    const base = { offset: 0, rows: n, cols: n, rowLabels: labels, colLabels: labels, rowTitle: 'Query particle', colTitle: 'Key particle' };
    this.pattern.setTitle(`${name} attention`, 'the kernel');
    this.pattern.setData({ ...base, values: k.pattern, valueName: 'Weight', scale: { kind: 'attention' }, causal: true, fileName: exportBaseName(s.modelPath, `${name}-kernel`) });
    this.cosines.setTitle('cos(xᵢ, xⱼ)', `layer ${k.layer} particles`);
    this.cosines.setData({ ...base, values: k.cosines, valueName: 'Cosine', scale: { kind: 'diverging', maxAbs: 1 }, causal: false, fileName: exportBaseName(s.modelPath, `${name}-cosines`) });
    const pts = kernelPoints(k);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of pts.ys) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    const pad = hi > lo ? (hi - lo) * 0.06 : 1;
    this.scores.setTitle('Score against cosine', `β_eff ${formatNumber(k.effectiveBeta, 3)} · R² ${formatNumber(k.r2, 3)}`);
    this.scores.setData({
      xs: pts.xs,
      ys: pts.ys,
      domain: { x: [-1, 1], y: Number.isFinite(lo) ? [lo - pad, hi + pad] : [-1, 1] },
      xTitle: 'cos(xᵢ, xⱼ)',
      yTitle: 'score',
      color: (_, p) => p.accent,
      describe: (i) => {
        const [qi, ki] = pts.pairs[i]!;
        return [
          ['Pair', `${labels[qi]} → ${labels[ki]}`],
          ['Cosine', formatNumber(pts.xs[i]!, 3)],
          ['Score', formatNumber(pts.ys[i]!, 3)],
        ];
      },
      csv: () => 'query,key,cosine,score\r\n' + pts.pairs.map(([qi, ki], i) => `${qi},${ki},${pts.xs[i]},${pts.ys[i]}`).join('\r\n') + '\r\n',
      fileName: exportBaseName(s.modelPath, `${name}-scores-vs-cosine`),
    });
  }

  /** The hovered token's row in both maps. */
  hover(index: number | undefined): void {
    this.pattern.setHighlight(index, 'query');
    this.cosines.setHighlight(index, 'query');
  }

  repaint(): void {
    this.pattern.draw();
    this.cosines.draw();
    this.scores.draw();
  }
}
