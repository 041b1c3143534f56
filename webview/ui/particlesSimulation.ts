/**
 * The paper's dynamics, simulated beside the real model: the form (SA or USA, n, d, β, T, dt, the
 * integrator, the starting points — random, orthonormal or the model's particles at a snapshot —
 * and Q/K/V — identity or the selected head's), the statistics over time, an animation of the
 * frames, and the (t, β) phase diagram of clustered pairs as a cancellable background job.
 */
import { exportBaseName, formatNumber, headName } from '../lib/format';
import { DEFAULT_SIMULATION, frameParticles, framesCsv, indexColor, phaseCells, phaseCsv, phaseSpec, simulationCsv, simulationSeries, simulationSpec, type SimulationForm } from '../lib/particles';
import { requestStatus } from '../lib/requests';
import type { ViewState } from '../lib/state';
import type { SimulationResult } from '../../src/protocol/particles';
import { smallChartWidth } from './chartColumns';
import type { AppContext } from './context';
import { RequestNote, select, type SelectControl } from './controls';
import { action, el, show } from './dom';
import { HeatmapView } from './heatmap';
import { LineChart } from './particlesChart';
import { numberField, Player, type NumberField } from './particlesControls';
import { ParticleScatter, type ParticleScatterData } from './particlesScatter';

type NumberKey = 'n' | 'd' | 'beta' | 't' | 'dt' | 'delta' | 'seed' | 'fromLayer';

const FIELDS: readonly { key: NumberKey; label: string; title: string; integer: boolean }[] = [
  { key: 'n', label: 'n', title: 'Number of particles', integer: true },
  { key: 'd', label: 'd', title: 'Dimension: the particles live on the sphere S^(d−1)', integer: true },
  { key: 'beta', label: 'β', title: 'Inverse temperature of the attention kernel exp(β⟨x, y⟩)', integer: false },
  { key: 't', label: 'T', title: 'Time horizon', integer: false },
  { key: 'dt', label: 'dt', title: 'Time step', integer: false },
  { key: 'delta', label: 'δ', title: 'A pair is clustered when ⟨xᵢ, xⱼ⟩ > 1 − δ', integer: false },
  { key: 'seed', label: 'seed', title: 'Seed of the random starting points', integer: true },
  { key: 'fromLayer', label: 'snapshot', title: "The model's snapshot whose particles start the simulation", integer: true },
];

export class ParticlesSimulationSection {
  readonly element: HTMLElement;
  private form: SimulationForm = DEFAULT_SIMULATION;
  private readonly fields: Record<NumberKey, NumberField & { readonly wrapper: HTMLElement }>;
  private readonly dynamics: SelectControl<SimulationForm['dynamics']>;
  private readonly integrator: SelectControl<SimulationForm['integrator']>;
  private readonly init: SelectControl<SimulationForm['init']>;
  private readonly qkv: SelectControl<SimulationForm['qkv']>;
  private readonly formError: HTMLElement;
  private readonly note: RequestNote;
  private readonly results: HTMLElement;
  private readonly charts: LineChart[];
  private readonly frames: ParticleScatter;
  /** The model's particles at the slider's layer, beside the simulation's frames. */
  private readonly model: ParticleScatter;
  private readonly pair: HTMLElement;
  private readonly player: Player;
  private frame = 0;
  private shown: SimulationResult | undefined;
  // Phase diagram.
  private readonly betaLo: NumberField & { readonly wrapper: HTMLElement };
  private readonly betaHi: NumberField & { readonly wrapper: HTMLElement };
  private readonly betaCount: NumberField & { readonly wrapper: HTMLElement };
  private readonly phaseError: HTMLElement;
  private readonly phaseNote: RequestNote;
  private readonly phaseProgress: HTMLElementTagNameMap['vscode-progress-bar'];
  private readonly phaseCancel: HTMLElementTagNameMap['vscode-button'];
  private readonly phaseMap: HeatmapView;
  private shownPhase: unknown;

  constructor(private readonly ctx: AppContext) {
    const set = <K extends keyof SimulationForm>(key: K, value: SimulationForm[K]) => {
      this.form = { ...this.form, [key]: value };
      this.syncForm(ctx.state());
    };
    this.fields = Object.fromEntries(FIELDS.map((f) => [f.key, numberField(f.label, f.title, DEFAULT_SIMULATION[f.key], (v) => set(f.key, v), f.integer)])) as ParticlesSimulationSection['fields'];
    this.dynamics = select('Dynamics', [
      { value: 'sa', label: 'SA', title: 'Self-attention: softmax-normalized interaction' },
      { value: 'usa', label: 'USA', title: 'Unnormalized self-attention (the gradient flow of the energy)' },
    ], (v) => set('dynamics', v));
    this.integrator = select('Integrator', [
      { value: 'euler', label: 'Euler', title: 'Projected Euler: a step, then back to the sphere' },
      { value: 'rk4', label: 'RK4', title: 'Runge–Kutta 4 with projection' },
    ], (v) => set('integrator', v));
    this.init = select('Start', [
      { value: 'random', label: 'random points' },
      { value: 'orthonormal', label: 'orthonormal points' },
      { value: 'model', label: "model's particles" },
    ], (v) => set('init', v));
    this.qkv = select('Q, K, V', [
      { value: 'identity', label: 'Q = K = V = I' },
      { value: 'head', label: "selected head's W_Q, W_K, W_OV" },
    ], (v) => set('qkv', v));
    for (const [c, v] of [[this.dynamics, 'sa'], [this.integrator, 'euler'], [this.init, 'random'], [this.qkv, 'identity']] as const) (c as SelectControl<string>).set(v);
    const run = document.createElement('vscode-button');
    run.icon = 'play';
    run.textContent = 'Simulate';
    run.className = 'simulate-button';
    run.addEventListener('click', () => this.simulate());
    this.formError = el('div', { class: 'form-error', attrs: { role: 'alert' } });
    this.note = new RequestNote(() => {
      const key = ctx.state().simulationWanted?.key;
      if (key) ctx.dispatch({ type: 'ui/retry', key });
    });
    const labelled = (label: string, control: HTMLElement) => el('label', { class: 'number-control' }, el('span', { class: 'control-label', text: label }), control);
    const controls = el(
      'div',
      { class: 'particles-form' },
      labelled('dynamics', this.dynamics.element),
      labelled('integrator', this.integrator.element),
      labelled('start', this.init.element),
      labelled('Q, K, V', this.qkv.element),
      ...FIELDS.map((f) => this.fields[f.key].wrapper),
      run,
    );
    this.charts = simulationSeries(emptyResult()).map(() => new LineChart({ post: ctx.post, palette: () => ctx.palette(), onPick: (i) => this.pickTime(i), height: 150 }));
    this.frames = new ParticleScatter({ post: ctx.post, palette: () => ctx.palette(), onHover: (i) => this.hoverFrameParticle(i) });
    this.model = new ParticleScatter({ post: ctx.post, palette: () => ctx.palette(), onHover: (i) => ctx.hoverToken(i) });
    this.player = new Player({ label: 'Frame', intervalMs: 80, onChange: (i) => this.showFrame(i) });
    this.results = el(
      'div',
      { class: 'simulation-results' },
      el('div', { class: 'particles-charts' }, ...this.charts.map((c) => c.element)),
      (this.pair = el('div', { class: 'split particles-pair' }, el('div', { class: 'simulation-frames' }, this.player.element, this.frames.element), this.model.element)),
    );

    this.betaLo = numberField('β min', 'Smallest β of the phase diagram', 0.5);
    this.betaHi = numberField('β max', 'Largest β of the phase diagram', 9);
    this.betaCount = numberField('β values', 'Number of β values (rows)', 18, undefined, true);
    const compute = document.createElement('vscode-button');
    compute.icon = 'graph';
    compute.textContent = 'Compute phase diagram';
    compute.className = 'phase-button';
    compute.addEventListener('click', () => this.phase());
    this.phaseCancel = document.createElement('vscode-button');
    this.phaseCancel.icon = 'debug-stop';
    this.phaseCancel.secondary = true;
    this.phaseCancel.textContent = 'Cancel';
    this.phaseCancel.className = 'phase-cancel';
    this.phaseCancel.addEventListener('click', () => ctx.post({ type: 'cancel' }));
    this.phaseProgress = document.createElement('vscode-progress-bar');
    this.phaseProgress.className = 'phase-progress';
    this.phaseError = el('div', { class: 'form-error', attrs: { role: 'alert' } });
    this.phaseNote = new RequestNote(() => {
      const key = ctx.state().phaseWanted?.key;
      if (key) ctx.dispatch({ type: 'ui/retry', key });
    });
    this.phaseMap = new HeatmapView({ post: ctx.post, palette: () => ctx.palette(), maxCell: 16, minCell: 2 });
    this.phaseMap.element.classList.add('phase-map');

    this.element = el(
      'div',
      { class: 'particles-simulation' },
      el(
        'section',
        { class: 'section' },
        el(
          'div',
          { class: 'section-header' },
          el('h2', { class: 'section-title', text: 'Simulated dynamics' }),
          el('span', { class: 'hint', text: 'ẋᵢ = P⊥ₓᵢ( Σⱼ exp(β⟨Qxᵢ, Kxⱼ⟩) V xⱼ / Zᵢ ) on the sphere; Zᵢ = Σⱼ exp(β⟨Qxᵢ, Kxⱼ⟩) for SA, n for USA' }),
        ),
        controls,
        this.formError,
        this.note.element,
        this.results,
      ),
      el(
        'section',
        { class: 'section' },
        el(
          'div',
          { class: 'section-header' },
          el('h2', { class: 'section-title', text: 'Phase diagram' }),
          el('span', { class: 'hint', text: 'fraction of pairs with ⟨xᵢ, xⱼ⟩ > 1 − δ over (t, β), from the simulation settings above' }),
        ),
        el(
          'div',
          { class: 'particles-form' },
          this.betaLo.wrapper,
          this.betaHi.wrapper,
          this.betaCount.wrapper,
          compute,
          this.phaseCancel,
          // The heatmap's own CSV holds the columns drawn; this one every time step.
          action('table', 'Export the phase diagram at every time step (CSV)', () => this.exportPhase()),
        ),
        this.phaseProgress,
        this.phaseError,
        this.phaseNote.element,
        this.phaseMap.element,
      ),
    );
    show(this.formError, false);
    show(this.phaseError, false);
    this.syncForm(ctx.state());
  }

  setWidth(width: number): void {
    const w = smallChartWidth(width);
    for (const c of this.charts) c.setWidth(w);
    // The simulation and the model side by side when both fit.
    const pair = width >= 880;
    this.pair.classList.toggle('side-by-side', pair);
    const side = Math.min(520, pair ? Math.floor((width - 24) / 2) : width);
    this.frames.setWidth(side);
    this.model.setWidth(side);
    this.phaseMap.setWidth(Math.min(width, 900));
  }

  /** Inputs that do not apply are disabled: d and n follow the model when they come from it. */
  private syncForm(s: ViewState): void {
    const fromModel = this.form.init === 'model';
    this.fields.n.setDisabled(fromModel);
    this.fields.d.setDisabled(fromModel || this.form.qkv === 'head');
    this.fields.seed.setDisabled(fromModel);
    show(this.fields.fromLayer.wrapper, fromModel);
    if (fromModel && s.run) this.fields.n.set(s.run.tokens.length);
    if ((fromModel || this.form.qkv === 'head') && s.card) this.fields.d.set(s.card.dModel);
  }

  private simulate(): void {
    const s = this.ctx.state();
    if (!this.requireModel(this.formError)) return;
    const spec = simulationSpec(this.form, {
      dModel: s.card?.dModel,
      snapshots: s.particles?.result.layers.length ?? (s.card ? s.card.layers + 1 : undefined),
      tokens: s.run?.tokens.length,
      head: s.selected,
    });
    this.formError.textContent = 'error' in spec ? spec.error : '';
    show(this.formError, 'error' in spec);
    if ('spec' in spec) this.ctx.dispatch({ type: 'ui/simulate', spec: spec.spec });
  }

  /** The panel asks the engine for nothing before a model is loaded: say so where the button is. */
  private requireModel(errorEl: HTMLElement): boolean {
    const loaded = this.ctx.state().card !== undefined;
    errorEl.textContent = loaded ? '' : 'Load a model first: Circuit Inspector: Inspect Model.';
    show(errorEl, !loaded);
    return loaded;
  }

  private phase(): void {
    if (!this.requireModel(this.phaseError)) return;
    const spec = phaseSpec(this.form, this.betaLo.value(), this.betaHi.value(), this.betaCount.value());
    this.phaseError.textContent = 'error' in spec ? spec.error : '';
    show(this.phaseError, 'error' in spec);
    if ('spec' in spec) this.ctx.dispatch({ type: 'ui/phaseDiagram', spec: spec.spec });
  }

  update(s: ViewState): void {
    this.syncForm(s);
    // The last result stays on screen while a new one is computed (the note says so).
    const wanted = s.simulationWanted;
    const sim = s.simulation;
    const fresh = sim !== undefined && (!wanted || sim.key === wanted.key);
    this.note.update(fresh ? undefined : requestStatus(s, wanted?.key), {
      idle: 'Set the parameters and press Simulate.',
      pending: 'Simulating…',
      failed: 'The simulation failed (see the message above).',
    });
    show(this.note.element, !fresh);
    show(this.results, !!sim);
    if (sim && sim.result !== this.shown) {
      this.shown = sim.result;
      this.render(s, sim.result, sim.spec.fromLayer !== undefined ? s.run?.tokenStrings : undefined, sim.spec.head);
    }
    if (s.tab !== 'particles') this.player.pause();

    const phaseWanted = s.phaseWanted;
    const phase = s.phase;
    const phaseStatus = phase && (!phaseWanted || phase.key === phaseWanted.key) ? undefined : requestStatus(s, phaseWanted?.key);
    this.phaseNote.update(phaseStatus, {
      idle: 'The phase diagram runs one simulation per β (a background job you can cancel).',
      pending: s.status.message && s.status.state === 'running' ? `${s.status.message}` : 'Computing the phase diagram…',
      failed: 'The phase diagram was cancelled or failed.',
    });
    show(this.phaseNote.element, phaseStatus !== undefined || !phase);
    const pending = phaseStatus === 'pending';
    show(this.phaseProgress, pending);
    show(this.phaseCancel, pending);
    if (pending) {
      const fraction = s.status.progress;
      this.phaseProgress.indeterminate = fraction === undefined;
      if (fraction !== undefined) this.phaseProgress.value = Math.round(fraction * 100);
    }
    show(this.phaseMap.element, !!phase);
    if (phase && phase.result !== this.shownPhase) {
      this.shownPhase = phase.result;
      const cells = phaseCells(phase.result);
      this.phaseMap.setTitle('Clustered pairs', `n ${phase.spec.params.n} · d ${phase.spec.params.d} · ${phase.spec.params.dynamics.toUpperCase()} · δ ${formatNumber(phase.spec.params.delta, 3)}`);
      this.phaseMap.setData({
        values: cells.values,
        offset: 0,
        rows: cells.rows,
        cols: cells.cols,
        rowLabels: cells.betas.map((b) => formatNumber(b, 3)),
        colLabels: cells.times.map((t) => formatNumber(t, 3)),
        rowTitle: 'β',
        colTitle: 't',
        valueName: 'Clustered pairs',
        scale: { kind: 'attention' },
        causal: false,
        fileName: exportBaseName(s.modelPath, 'phase-diagram'),
      });
    }
  }

  /** The model's particles (the main scatter's data) for the side-by-side view; undefined: none. */
  showModel(data: ParticleScatterData | undefined, mode: '2d' | '3d'): void {
    this.model.setData(data, 'Run a prompt to see the model beside the simulation.');
    this.model.setMode(mode);
  }

  /** The slider's snapshot, with its label. */
  showModelLayer(snapshot: number, label: string): void {
    this.model.setTitle('Model', label);
    this.model.setSnapshot(snapshot);
  }

  setModelMode(mode: '2d' | '3d'): void {
    this.model.setMode(mode);
  }

  private exportPhase(): void {
    const s = this.ctx.state();
    if (s.phase) this.ctx.post({ type: 'save', fileName: `${exportBaseName(s.modelPath, 'phase-diagram')}.csv`, data: phaseCsv(s.phase.result) });
  }

  private render(s: ViewState, r: SimulationResult, tokens: readonly string[] | undefined, head: { layer: number; head: number } | undefined): void {
    const series = simulationSeries(r);
    const file = exportBaseName(s.modelPath, 'simulation');
    series.forEach((one, k) => {
      const chart = this.charts[k]!;
      chart.setTitle(one.name);
      chart.setData({ xs: r.times, series: [one], xTitle: 't', zero: k === 0, csv: () => simulationCsv(r), fileName: file });
    });
    const n = frameParticles(r);
    const frames = r.frameTimes.length;
    this.frames.setTitle('Particles over time', `${head ? `Q/K/V of ${headName(head.layer, head.head)} · ` : ''}PCA of the starting points`);
    this.frames.setData({
      coords: r.frames,
      snapshots: frames,
      particles: n,
      axes: ['PC1', 'PC2', 'PC3'],
      ...(tokens && tokens.length === n ? { names: tokens } : {}),
      color: (i, _, p) => indexColor(i, n, p),
      describe: (i, f) => [
        ['Particle', String(i)],
        ['t', formatNumber(r.frameTimes[f] ?? NaN, 3)],
      ],
      csv: () => framesCsv(r),
      fileName: `${file}-frames`,
    });
    this.frames.setMode(n > 0 && r.frames.some((v, i) => i % 3 === 2 && Math.abs(v) > 1e-6) ? '3d' : '2d');
    this.player.setCount(frames);
    this.showFrame(Math.min(this.frame, frames - 1));
  }

  private showFrame(i: number): void {
    const r = this.shown;
    if (!r) return;
    this.frame = Math.max(0, i);
    this.frames.setSnapshot(this.frame);
    const t = r.frameTimes[this.frame] ?? 0;
    this.player.set(this.frame, `t = ${formatNumber(t, 3)}`);
    // The time plots mark the step nearest to the frame's time.
    let step = 0;
    while (step + 1 < r.times.length && Math.abs(r.times[step + 1]! - t) <= Math.abs(r.times[step]! - t)) step++;
    for (const c of this.charts) c.setMarker(step);
  }

  /** Clicking a time plot jumps the animation to the frame nearest that time. */
  private pickTime(step: number): void {
    const r = this.shown;
    if (!r) return;
    const t = r.times[step] ?? 0;
    let best = 0;
    r.frameTimes.forEach((ft, f) => Math.abs(ft - t) < Math.abs(r.frameTimes[best]! - t) && (best = f));
    this.player.pause();
    this.showFrame(best);
  }

  private hoverFrameParticle(i: number | undefined): void {
    // Particles started from the run's tokens are those tokens: hover them everywhere.
    if (this.ctx.state().simulation?.spec.fromLayer !== undefined) this.ctx.hoverToken(i);
  }

  hover(index: number | undefined): void {
    if (this.ctx.state().simulation?.spec.fromLayer !== undefined) this.frames.setHighlighted(index);
    this.model.setHighlighted(index);
  }

  repaint(): void {
    for (const c of this.charts) c.draw();
    this.frames.draw();
    this.model.draw();
    this.phaseMap.draw();
  }
}

function emptyResult(): SimulationResult {
  return { times: [], clusters: [], clusteredFraction: [], minInnerProduct: [], meanInnerProduct: [], energy: [], frames: new Float32Array(), frameTimes: [] };
}
