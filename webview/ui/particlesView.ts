/**
 * Particles tab (Geshkovski et al. 2023): each token's normalized residual stream at each layer is a
 * particle on the sphere. The scatter shows every snapshot in one fixed PCA basis (2-D, or 3-D
 * with drag-rotate) with each token's path; a slider (and Play) moves through the layers, points
 * colored by their cluster (cos > 1 − δ) there. Per layer: cluster count, effective rank, energy
 * E_β and cosines across layers, and the current layer's cosine histogram. Below: the selected head
 * as the interaction kernel, and the paper's dynamics simulated beside the model.
 */
import { exportBaseName, formatNumber } from '../lib/format';
import { clusterColors, clusterRanks, histogramBins, layerOffset, layerSeries, particlesCsv, particlesKey, projectionCsv } from '../lib/particles';
import { requestStatus } from '../lib/requests';
import type { ViewState } from '../lib/state';
import type { ParticlesResult } from '../../src/protocol/particles';
import { BarChart } from './barChart';
import { smallChartWidth } from './chartColumns';
import type { AppContext, View } from './context';
import { checkbox, radioGroup, RequestNote, type Control } from './controls';
import { action, el, show } from './dom';
import { LineChart } from './particlesChart';
import { numberField, Player } from './particlesControls';
import { ParticlesKernelSection } from './particlesKernel';
import { ParticleScatter, type ParticleScatterData } from './particlesScatter';
import { ParticlesSimulationSection } from './particlesSimulation';
import { TokenStrip } from './tokenStrip';
import type { Palette, Rgba } from '../lib/color';

type ChartKey = 'clusters' | 'effectiveRank' | 'energy' | 'cosine';

export class ParticlesView implements View {
  readonly element: HTMLElement;
  private readonly mode: Control<'2d' | '3d'>;
  private modeValue: '2d' | '3d' = '2d';
  private readonly paths: Control<boolean>;
  private readonly beta: ReturnType<typeof numberField>;
  private readonly delta: ReturnType<typeof numberField>;
  private readonly note: RequestNote;
  private readonly body: HTMLElement;
  private readonly top: HTMLElement;
  private readonly scatter: ParticleScatter;
  private readonly player: Player;
  private readonly strip: TokenStrip;
  private readonly variance: HTMLElement;
  private readonly histogram: BarChart;
  private readonly charts: Record<ChartKey, LineChart>;
  private readonly kernel: ParticlesKernelSection;
  private readonly simulation: ParticlesSimulationSection;
  private shown: ParticlesResult | undefined;
  private colors: Rgba[][] = [];
  private colorPalette: Palette | undefined;
  private shownLayer = -1;

  constructor(private readonly ctx: AppContext) {
    this.mode = radioGroup<'2d' | '3d'>('particles-mode', 'Projection', [
      { value: '2d', label: '2-D', title: 'The first two principal components' },
      { value: '3d', label: '3-D', title: 'Three principal components; drag to rotate' },
    ], (mode) => {
      this.modeValue = mode;
      this.scatter.setMode(mode);
      this.simulation.setModelMode(mode);
    });
    this.mode.set('2d');
    this.paths = checkbox('Trajectories', "Each token's path across the layers", (on) => this.scatter.setPaths(on));
    this.paths.set(true);
    // The label property alone names it (text content as well shows the label twice once checked).
    this.paths.element.textContent = '';
    const params = () => ctx.dispatch({ type: 'ui/particleParams', beta: this.beta.value(), delta: this.delta.value() });
    this.beta = numberField('β', 'Inverse temperature of the interaction energy E_β = (1/2βn²) Σᵢⱼ exp(β⟨xᵢ, xⱼ⟩)', ctx.state().particleBeta, params);
    this.delta = numberField('δ', 'Two particles are neighbours when cos(xᵢ, xⱼ) > 1 − δ; clusters are the connected components', ctx.state().particleDelta, params);
    this.note = new RequestNote(() => {
      const s = ctx.state();
      if (s.run) ctx.dispatch({ type: 'ui/retry', key: particlesKey(s.run.runId, s.particleBeta, s.particleDelta) });
    });

    this.scatter = new ParticleScatter({ post: ctx.post, palette: () => ctx.palette(), onHover: (i) => ctx.hoverToken(i), testId: 'particles-scatter' });
    this.player = new Player({ label: 'Layer', intervalMs: 450, onChange: (layer) => ctx.dispatch({ type: 'ui/particleLayer', layer }) });
    this.strip = new TokenStrip({ label: 'Prompt tokens', onHover: (i) => ctx.hoverToken(i) });
    this.variance = el('div', { class: 'hint' });
    this.histogram = new BarChart({ post: ctx.post, palette: () => ctx.palette() });
    const chart = () => new LineChart({ post: ctx.post, palette: () => ctx.palette(), onPick: (layer) => ctx.dispatch({ type: 'ui/particleLayer', layer }), height: 150 });
    this.charts = { clusters: chart(), effectiveRank: chart(), energy: chart(), cosine: chart() };
    this.kernel = new ParticlesKernelSection(ctx);
    this.simulation = new ParticlesSimulationSection(ctx);

    const side = el('div', { class: 'particles-side' }, this.player.element, this.variance, this.strip.element, this.histogram.element);
    this.top = el('div', { class: 'split particles-top' }, this.scatter.element, side);
    this.body = el(
      'div',
      { class: 'particles-body' },
      el('section', { class: 'section' }, this.top),
      el(
        'section',
        { class: 'section' },
        el('div', { class: 'section-header' }, el('h2', { class: 'section-title', text: 'Across layers' }), el('span', { class: 'hint', text: 'click a chart to go to that layer' })),
        el('div', { class: 'particles-charts' }, ...Object.values(this.charts).map((c) => c.element)),
      ),
      this.kernel.element,
    );
    this.element = el(
      'div',
      { class: 'view particles-view' },
      el(
        'section',
        { class: 'section' },
        el(
          'div',
          { class: 'section-header' },
          el('h2', { class: 'section-title', text: 'Tokens as particles' }),
          el('span', { class: 'hint', text: 'the normalized residual stream, layer by layer (Geshkovski et al. 2023)' }),
          el('span', { class: 'spacer' }),
          this.mode.element,
          this.paths.element,
          this.beta.wrapper,
          this.delta.wrapper,
          action('table', 'Export the per-layer statistics (CSV)', () => this.exportStats()),
        ),
        this.note.element,
      ),
      this.body,
      this.simulation.element,
    );
    new ResizeObserver(() => this.layout()).observe(this.element);
  }

  private layout(): void {
    const style = getComputedStyle(this.element);
    const width = Math.floor(this.element.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)) - 2;
    if (width <= 0) return;
    const sideBySide = width >= 760;
    this.top.classList.toggle('side-by-side', sideBySide);
    const scatterWidth = sideBySide ? Math.min(520, Math.floor(width * 0.55)) : width;
    this.scatter.setWidth(scatterWidth);
    this.histogram.setWidth(sideBySide ? width - scatterWidth - 24 : width);
    const w = smallChartWidth(width);
    for (const c of Object.values(this.charts)) c.setWidth(w);
    this.kernel.setWidth(width);
    this.simulation.setWidth(width);
  }

  update(s: ViewState, prev: ViewState | undefined): void {
    this.beta.set(s.particleBeta);
    this.delta.set(s.particleDelta);
    const run = s.run;
    const key = run ? particlesKey(run.runId, s.particleBeta, s.particleDelta) : undefined;
    // While new β or δ are computed, the previous statistics of this run stay on screen.
    const r = run && s.particles?.key.startsWith(`particles:${run.runId}:`) ? s.particles.result : undefined;
    this.note.update(s.particles?.key === key ? undefined : requestStatus(s, key), {
      idle: !s.card ? 'Load a model to see its tokens as particles.' : 'Run a prompt to see its tokens as particles moving through the layers.',
      pending: 'Computing the particles of every layer…',
      failed: 'Could not compute the particles (see the message above).',
    });
    show(this.note.element, s.particles?.key !== key);
    show(this.body, !!r);
    if (run?.tokens !== prev?.run?.tokens || run?.runId !== prev?.run?.runId) this.strip.setTokens(run?.tokenStrings ?? [], run?.tokens ?? []);
    if (r !== this.shown) {
      this.shown = r;
      this.colors = [];
      this.shownLayer = -1;
      if (r) this.render(s, r);
      else {
        this.scatter.setData(undefined);
        this.simulation.showModel(undefined, this.modeValue);
      }
    }
    if (r && s.particleLayer !== this.shownLayer) this.showLayer(s, r, s.particleLayer);
    this.kernel.update(s);
    this.simulation.update(s);
    if (s.tab !== 'particles') this.player.pause();
  }

  private render(s: ViewState, r: ParticlesResult): void {
    const n = r.tokens.length;
    const pct = (i: number) => `${formatNumber(100 * (r.explainedVariance[i] ?? NaN), 2)} %`;
    this.variance.textContent = `Fixed PCA basis over every layer's particles: PC1 ${pct(0)}, PC2 ${pct(1)}, PC3 ${pct(2)} of the variance · d_model ${r.dModel}`;
    this.scatter.setTitle('Particles', `${n} tokens · ${r.layers.length} snapshots`);
    const data: ParticleScatterData = {
      coords: r.projection,
      snapshots: r.layers.length,
      particles: n,
      axes: [`PC1 (${pct(0)})`, `PC2 (${pct(1)})`, `PC3 (${pct(2)})`],
      names: r.tokenTexts,
      color: (i, layer, p) => this.colorOf(r, i, layer, p),
      describe: (i, layer) => {
        const l = r.layers[layer]!;
        const o = layerOffset(layer, n) + 3 * i;
        const cluster = clusterRanks(l.clusterOf).get(l.clusterOf[i]!);
        return [
          ['Layer', l.label],
          ['Cluster', cluster ? `#${cluster.rank + 1} of ${l.clusters} (${cluster.size} tokens)` : '—'],
          ['PC1, PC2, PC3', [0, 1, 2].map((k) => formatNumber(r.projection[o + k]!, 3)).join(', ')],
        ];
      },
      csv: () => projectionCsv(r),
      fileName: exportBaseName(s.modelPath, 'particles'),
    };
    this.scatter.setData(data);
    this.simulation.showModel(data, this.modeValue);
    this.player.setCount(r.layers.length);
    const series = layerSeries(r);
    const file = exportBaseName(s.modelPath, 'particles-per-layer');
    const line = (c: LineChart, title: string, list: readonly { name: string; values: readonly number[] }[], zero: boolean) => {
      c.setTitle(title);
      c.setData({ xs: r.layers.map((_, i) => i), series: list, xTitle: 'snapshot', xLabel: (i) => r.layers[i]?.label ?? String(i), integerX: true, zero, csv: () => particlesCsv(r), fileName: file });
    };
    line(this.charts.clusters, series.clusters.name, [series.clusters], true);
    line(this.charts.effectiveRank, series.effectiveRank.name, [series.effectiveRank], true);
    line(this.charts.energy, series.energy.name, [series.energy], false);
    line(this.charts.cosine, 'Pairwise cosine', series.cosine, false);
  }

  private colorOf(r: ParticlesResult, i: number, layer: number, p: Palette): Rgba {
    if (p !== this.colorPalette) {
      this.colorPalette = p;
      this.colors = [];
    }
    this.colors[layer] ??= clusterColors(r.layers[layer]!.clusterOf, p);
    return this.colors[layer]![i]!;
  }

  private showLayer(s: ViewState, r: ParticlesResult, layer: number): void {
    this.shownLayer = layer;
    const l = r.layers[layer]!;
    this.scatter.setSnapshot(layer);
    this.simulation.showModelLayer(layer, l.label);
    this.player.set(layer, `${l.label} · ${l.clusters} cluster${l.clusters === 1 ? '' : 's'}`);
    for (const c of Object.values(this.charts)) c.setMarker(layer);
    this.histogram.setTitle(`Pairwise cosines · ${l.label}`, `mean ${formatNumber(l.meanCosine, 3)} · min ${formatNumber(l.minCosine, 3)}`);
    const bins = histogramBins(r, layer);
    this.histogram.setData({
      bars: bins,
      valueName: 'Pairs',
      csv: () => 'bin,pairs\r\n' + bins.map((b) => `${b.label},${b.value}`).join('\r\n') + '\r\n',
      fileName: exportBaseName(s.modelPath, `cosine-histogram-${layer}`),
    });
  }

  hover(index: number | undefined): void {
    this.scatter.setHighlighted(index);
    this.strip.setHovered(index);
    this.kernel.hover(index);
    this.simulation.hover(index);
  }

  repaint(): void {
    this.colors = [];
    this.scatter.draw();
    this.histogram.draw();
    for (const c of Object.values(this.charts)) c.draw();
    this.kernel.repaint();
    this.simulation.repaint();
  }

  reveal(): void {
    this.layout();
  }

  private exportStats(): void {
    const s = this.ctx.state();
    if (this.shown) this.ctx.post({ type: 'save', fileName: `${exportBaseName(s.modelPath, 'particles-per-layer')}.csv`, data: particlesCsv(this.shown) });
  }
}
