/**
 * Predictions tab: the top next tokens at the last position (or at the token picked in the strip)
 * and the per-token loss along the prompt, as a bar chart and as shading of the strip.
 */
import { cssColor, parseColor, type Palette } from '../lib/color';
import { exportFileName, finiteMean, formatNumber, formatProb } from '../lib/format';
import { lossBars, lossesCsv, nextTokenView, predictionsCsv } from '../lib/predictions';
import { predictionPosition, type ViewState } from '../lib/state';
import { tokenSegments, tokenLabel, visibleWhitespace } from '../lib/tokens';
import { canvasFont, context2d, devicePixelRatio, pngBytes, sizeCanvas } from './canvas';
import type { AppContext, View } from './context';
import { action, clear, el, show } from './dom';
import { showTooltip, tooltipElement, tooltipRow } from './chartParts';
import { TokenStrip } from './tokenStrip';

/** A token's text with visible whitespace, as DOM. */
function tokenText(token: string, cls = 'token-text'): HTMLElement {
  const span = el('span', { class: cls });
  for (const seg of tokenSegments(token)) span.appendChild(seg.ws ? el('span', { class: 'ws', text: seg.text }) : document.createTextNode(seg.text));
  return span;
}

const CHART_HEIGHT = 110;

export class PredictionsView implements View {
  readonly element: HTMLElement;
  private readonly strip: TokenStrip;
  private readonly heading: HTMLElement;
  private readonly table: HTMLTableSectionElement;
  private readonly actual: HTMLElement;
  private readonly chart: HTMLCanvasElement;
  private readonly chartStage: HTMLElement;
  private readonly tooltip: HTMLElement;
  private readonly meanLoss: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly body: HTMLElement;
  private width = 0;
  private hovered: number | undefined;

  /** "ablated: 1.2, 0.3" when the run was computed under ablations. */
  private readonly ablatedMark = el('div', { class: 'ablated-mark', attrs: { role: 'status', title: 'Everything in this view is computed with these components ablated (Interventions tab)' } });

  constructor(private readonly ctx: AppContext) {
    this.strip = new TokenStrip({
      label: 'Prompt tokens, shaded by loss',
      onHover: (i) => ctx.hoverToken(i),
      onPick: (i) => ctx.dispatch({ type: 'ui/predictionPos', pos: i }),
    });
    this.heading = el('h2', { class: 'section-title' });
    this.table = el('tbody');
    this.actual = el('div', { class: 'actual-next' });
    this.chart = el('canvas', { class: 'loss-chart', attrs: { role: 'img', 'aria-label': 'Loss of each token' } });
    this.tooltip = tooltipElement();
    this.chartStage = el('div', { class: 'heatmap-stage chart-stage' }, this.chart, this.tooltip);
    this.meanLoss = el('span', { class: 'hint' });
    this.empty = el('div', { class: 'empty-note', text: 'Run a prompt to see what the model predicts.' });

    const topk = el(
      'section',
      { class: 'section topk-section' },
      el('div', { class: 'section-header' }, this.heading, el('span', { class: 'spacer' }), action('table', 'Export predictions at every position (CSV)', () => this.exportPredictions())),
      el(
        'table',
        { class: 'data-table topk-table' },
        el('thead', {}, el('tr', {}, el('th', { class: 'numeric', text: '#' }), el('th', { text: 'Token' }), el('th', { text: 'Probability' }), el('th', { class: 'numeric', text: 'Id' }))),
        this.table,
      ),
      this.actual,
    );
    const losses = el(
      'section',
      { class: 'section loss-section' },
      el(
        'div',
        { class: 'section-header' },
        el('h2', { class: 'section-title', text: 'Loss per token' }),
        this.meanLoss,
        el('span', { class: 'spacer' }),
        action('file-media', 'Export loss chart (PNG)', () => void this.exportChart()),
        action('table', 'Export per-token loss (CSV)', () => this.exportLosses()),
      ),
      el('div', { class: 'hint', text: 'Each bar is how surprised the model was by a token, given the tokens before it (nats). Click a bar to see that prediction.' }),
      this.chartStage,
    );
    this.body = el('div', { class: 'predictions-body' }, topk, losses);
    this.element = el(
      'div',
      { class: 'view predictions-view' },
      this.ablatedMark,
      el(
        'section',
        { class: 'section' },
        el('div', { class: 'section-header' }, el('h2', { class: 'section-title', text: 'Tokens' }), el('span', { class: 'hint', text: 'shaded by loss · click a token to see what the model predicts after it' })),
        this.strip.element,
      ),
      this.empty,
      this.body,
    );
    this.chartStage.addEventListener('mousemove', (e) => this.onChartMove(e));
    this.chartStage.addEventListener('mouseleave', () => this.onChartMove(undefined));
    this.chartStage.addEventListener('click', (e) => {
      const i = this.barAt(e);
      if (i !== undefined) ctx.dispatch({ type: 'ui/predictionPos', pos: i });
    });
    new ResizeObserver(() => {
      const w = Math.floor(this.chartStage.clientWidth);
      if (w > 0 && w !== this.width) {
        this.width = w;
        this.drawChart();
      }
    }).observe(this.chartStage);
  }

  update(s: ViewState, prev: ViewState | undefined): void {
    const run = s.run;
    this.ablatedMark.textContent = run?.ablated?.length ? `ablated: ${run.ablated.join(', ')}` : '';
    show(this.ablatedMark, !!run?.ablated?.length);
    show(this.empty, !run);
    show(this.body, !!run);
    show(this.strip.element.parentElement!, !!run);
    if (!run) return;
    if (run !== prev?.run) {
      this.strip.setTokens(run.tokenStrings, run.tokens);
      this.shadeStrip();
      const mean = finiteMean(run.losses);
      this.meanLoss.textContent = Number.isNaN(mean) ? '' : `mean ${formatNumber(mean, 3)} nats`;
    }
    const pos = predictionPosition(s) ?? 0;
    this.strip.setPicked(s.predictionPos);
    if (run !== prev?.run || s.predictionPos !== prev?.predictionPos) {
      this.renderTopK(s, pos);
      this.drawChart();
    }
  }

  private shadeStrip(): void {
    const run = this.ctx.state().run;
    if (!run) return;
    const { max } = lossBars(run.losses, 1, 1);
    const shades = new Float32Array(run.tokens.length);
    for (let i = 1; i < run.tokens.length; i++) shades[i] = max > 0 ? (run.losses[i - 1] ?? 0) / max : 0;
    const p = this.ctx.palette();
    this.strip.setShades(shades, p, this.lossColor(p));
  }

  private lossColor(p: Palette) {
    return parseColor(getComputedStyle(document.documentElement).getPropertyValue('--vscode-charts-orange')) ?? p.negative;
  }

  private renderTopK(s: ViewState, pos: number): void {
    const run = s.run!;
    const view = nextTokenView(run.predictions, run.losses, run.tokens, run.tokenStrings, pos);
    clear(this.heading);
    this.heading.append(`Next token after `, tokenText(run.tokenStrings[pos] ?? '', 'token-text inline-token'), ` (#${pos}${pos === run.tokens.length - 1 ? ', last' : ''})`);
    clear(this.table);
    const best = view.rows[0]?.prob ?? 1;
    for (const r of view.rows) {
      const bar = el('div', { class: 'prob-bar' });
      bar.style.width = `${Math.max(1, (r.prob / Math.max(best, 1e-9)) * 100)}%`;
      const isActual = view.actual?.id === r.id;
      this.table.appendChild(
        el(
          'tr',
          { class: isActual ? 'actual' : '' },
          el('td', { class: 'numeric hint', text: String(r.rank) }),
          el('td', { class: 'token-cell', title: isActual ? 'the token that actually follows' : undefined }, tokenText(r.text, 'token-text chip-like')),
          el('td', { class: 'prob-cell' }, el('div', { class: 'prob' }, el('div', { class: 'prob-track' }, bar), el('span', { class: 'prob-value', text: formatProb(r.prob) }))),
          el('td', { class: 'numeric hint mono', text: String(r.id) }),
        ),
      );
    }
    clear(this.actual);
    const a = view.actual;
    if (a) {
      this.actual.append(
        'Actually followed by ',
        tokenText(a.text, 'token-text chip-like'),
        ` — loss ${formatNumber(a.loss, 3)} nats, p = ${formatProb(a.prob)}`,
        a.rank !== undefined ? `, rank ${a.rank}` : `, not in the top ${run.predictions.k}`,
      );
    } else {
      this.actual.append('Last position: this is what the model would write next.');
    }
  }

  private barAt(e: MouseEvent): number | undefined {
    const run = this.ctx.state().run;
    if (!run || run.losses.length === 0) return undefined;
    const rect = this.chart.getBoundingClientRect();
    const { bar } = lossBars(run.losses, this.chartWidth(), CHART_HEIGHT);
    const i = Math.floor((e.clientX - rect.left - 36) / bar);
    return i >= 0 && i < run.losses.length ? i : undefined;
  }

  private chartWidth(): number {
    return Math.max(100, this.width - 44);
  }

  private onChartMove(e: MouseEvent | undefined): void {
    const i = e ? this.barAt(e) : undefined;
    if (i !== this.hovered) {
      this.hovered = i;
      this.drawChart();
      this.ctx.hoverToken(i === undefined ? undefined : i + 1);
    }
    const run = this.ctx.state().run;
    if (i === undefined || !run || !e) {
      this.tooltip.hidden = true;
      return;
    }
    const loss = run.losses[i]!;
    showTooltip(
      this.tooltip,
      [tooltipRow('Token', visibleWhitespace(run.tokenStrings[i + 1] ?? ''), i + 1), tooltipRow('Loss', `${formatNumber(loss, 3)} nats`), tooltipRow('p', formatProb(Math.exp(-loss)))],
      e,
    );
  }

  /** Bars of token loss; the picked position's next token and the hovered bar stand out. */
  private drawChart(): void {
    const s = this.ctx.state();
    const run = s.run;
    if (!run || this.width <= 0) return;
    const p = this.ctx.palette();
    const dpr = devicePixelRatio();
    const { bar, max, heights } = lossBars(run.losses, this.chartWidth(), CHART_HEIGHT);
    const left = 36;
    const top = 8;
    const labelRoom = 40;
    const width = Math.min(this.width, left + bar * run.losses.length + 8);
    const height = top + CHART_HEIGHT + labelRoom;
    sizeCanvas(this.chart, width, height, dpr);
    const ctx = context2d(this.chart);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = cssColor(p.background);
    ctx.fillRect(0, 0, width, height);
    // Axis and gridlines.
    ctx.strokeStyle = cssColor(p.muted, 0.25);
    ctx.lineWidth = 1;
    ctx.font = canvasFont(10, p.font);
    ctx.fillStyle = cssColor(p.muted);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const f of [0, 0.5, 1]) {
      const y = Math.round(top + CHART_HEIGHT * (1 - f)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(width, y);
      ctx.stroke();
      ctx.fillText(formatNumber(max * f, 2), left - 4, y);
    }
    const picked = predictionPosition(s);
    const color = this.lossColor(p);
    for (let i = 0; i < heights.length; i++) {
      const h = heights[i]!;
      const x = left + i * bar;
      const isPicked = picked === i;
      const isHovered = this.hovered === i;
      ctx.fillStyle = cssColor(color, isPicked || isHovered ? 1 : 0.7);
      ctx.fillRect(x + (bar > 4 ? 1 : 0), top + CHART_HEIGHT - h, Math.max(1, bar - (bar > 4 ? 2 : 0)), h);
      if (isPicked) {
        ctx.strokeStyle = cssColor(p.focus);
        ctx.lineWidth = 1.5;
        ctx.strokeRect(x + 0.75, top + CHART_HEIGHT - h - 0.75, bar - 1.5, h + 1.5);
      }
    }
    // Token labels under the bars, when they fit.
    ctx.font = canvasFont(10, p.monoFont);
    ctx.fillStyle = cssColor(p.muted);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const stride = Math.max(1, Math.ceil(12 / bar));
    for (let i = 0; i < heights.length; i += stride) {
      ctx.save();
      ctx.translate(left + (i + 0.5) * bar, top + CHART_HEIGHT + 4);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(tokenLabel(run.tokenStrings[i + 1] ?? '', 6), 0, 0);
      ctx.restore();
    }
  }

  hover(index: number | undefined): void {
    this.strip.setHovered(index);
  }

  repaint(): void {
    this.shadeStrip();
    this.drawChart();
  }

  reveal(): void {
    const w = Math.floor(this.chartStage.clientWidth);
    if (w > 0 && w !== this.width) {
      this.width = w;
      this.drawChart();
    }
  }

  private exportPredictions(): void {
    const s = this.ctx.state();
    if (!s.run) return;
    this.ctx.post({ type: 'save', fileName: exportFileName(s.modelPath, 'predictions', 'csv'), data: predictionsCsv(s.run.predictions, s.run.tokenStrings) });
  }

  private exportLosses(): void {
    const s = this.ctx.state();
    if (!s.run) return;
    this.ctx.post({ type: 'save', fileName: exportFileName(s.modelPath, 'loss', 'csv'), data: lossesCsv(s.run.losses, s.run.tokens, s.run.tokenStrings) });
  }

  private async exportChart(): Promise<void> {
    const s = this.ctx.state();
    if (!s.run) return;
    this.ctx.post({ type: 'save', fileName: exportFileName(s.modelPath, 'loss', 'png'), data: await pngBytes(this.chart) });
  }
}
