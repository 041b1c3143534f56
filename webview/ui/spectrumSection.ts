/**
 * The eigenvalues of the selected head's full OV and QK circuits in the complex plane (scaled by
 * the largest modulus, inside the unit circle), with their copying scores: mostly positive real
 * eigenvalues mean the head copies (OV) or attends to copies of the query token (QK).
 */
import { exportBaseName, formatNumber, headName } from '../lib/format';
import { copyingVerdict, eigenPoints, spectrumCsv } from '../lib/spectrum';
import type { CircuitsResult, HeadSpectrum } from '../../src/protocol/engine';
import type { AppContext } from './context';
import { el, show, twoColumns } from './dom';
import { ScatterPlot } from './scatterPlot';

export class SpectrumSection {
  readonly element: HTMLElement;
  private readonly scores: HTMLElement;
  private readonly note: HTMLElement;
  private readonly body: HTMLElement;
  private readonly ov: ScatterPlot;
  private readonly qk: ScatterPlot;
  private shown: HeadSpectrum | undefined;

  constructor(ctx: AppContext) {
    const options = { post: ctx.post, palette: () => ctx.palette(), aspect: 1, maxHeight: 340 };
    this.ov = new ScatterPlot(options);
    this.qk = new ScatterPlot(options);
    this.scores = el('div', { class: 'copying-scores' });
    this.note = el('div', { class: 'empty-note' });
    this.body = el('div', { class: 'spectrum-body' }, this.ov.element, this.qk.element);
    this.element = el(
      'section',
      { class: 'section spectrum-section' },
      el('div', { class: 'section-header' }, el('h2', { class: 'section-title', text: 'Eigenvalues' }), el('span', { class: 'hint', text: 'of the full circuits, through the d_head × d_head product (λ(AB) = λ(BA))' })),
      this.scores,
      this.note,
      this.body,
    );
  }

  setWidth(width: number): void {
    const w = twoColumns(this.body, width, 640);
    this.ov.setWidth(w);
    this.qk.setWidth(w);
  }

  set(c: CircuitsResult | undefined, modelPath: string | undefined): void {
    const sp = c?.spectrum;
    show(this.element, !!c);
    show(this.note, !!c && !sp);
    show(this.body, !!sp);
    show(this.scores, !!sp);
    this.note.textContent = 'This engine did not send eigenvalues for this head.';
    if (sp === this.shown) return;
    this.shown = sp;
    if (!c || !sp) return;
    const name = headName(c.layer, c.head);
    this.scores.replaceChildren(score('OV copying', sp.copyingOV), score('QK copying', sp.copyingQK));
    this.plot(this.ov, 'OV circuit W_E W_OV W_U', sp.ovEigenvalues, exportBaseName(modelPath, `ov-eigenvalues-${name}`), sp);
    this.plot(this.qk, 'QK circuit W_E W_QK W_Eᵀ', sp.qkEigenvalues, exportBaseName(modelPath, `qk-eigenvalues-${name}`), sp);
  }

  private plot(view: ScatterPlot, title: string, pairs: Float32Array, fileName: string, sp: HeadSpectrum): void {
    const pts = eigenPoints(pairs);
    view.setTitle(title, `${pts.re.length} eigenvalues, scaled by max |λ| = ${formatNumber(pts.maxModulus, 3)}`);
    view.setData({
      xs: pts.x,
      ys: pts.y,
      domain: { x: [-1.1, 1.1], y: [-1.1, 1.1] },
      equalAspect: true,
      unitCircle: true,
      xTitle: 'Re λ / max|λ|',
      yTitle: 'Im λ / max|λ|',
      describe: (i) => [
        ['λ', `${formatNumber(pts.re[i]!, 3)} ${pts.im[i]! < 0 ? '−' : '+'} ${formatNumber(Math.abs(pts.im[i]!), 3)}i`],
        ['|λ|', formatNumber(Math.hypot(pts.re[i]!, pts.im[i]!), 3)],
      ],
      csv: () => spectrumCsv(sp),
      fileName,
    });
  }

  repaint(): void {
    this.ov.draw();
    this.qk.draw();
  }
}

function score(label: string, value: number): HTMLElement {
  return el(
    'span',
    { class: 'copying-score', title: 'Re(Σλ) / Σ|λ|: +1 all eigenvalues positive real (copying), −1 all negative real' },
    el('span', { class: 'hint', text: label }),
    el('strong', { text: formatNumber(value, 3) }),
    el('span', { class: 'hint', text: copyingVerdict(value) }),
  );
}
