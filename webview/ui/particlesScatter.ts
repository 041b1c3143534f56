/**
 * The particles on canvas: every snapshot's points in one fixed 3-D principal basis, seen as
 * (pc1, pc2) or rotated in 3-D (drag to turn), with each particle's path across snapshots as a
 * faint polyline and the current snapshot's points on top, colored by the caller (clusters).
 * Hovering a point reports it (the token is hovered everywhere); a highlighted point gets a ring
 * and its label. Hover and highlight repaint only the overlay. PNG / CSV export.
 */
import { cssColor, type Palette, type Rgba } from '../lib/color';
import { DEFAULT_3D, depthOrder, dragAngle, layerOffset, projectionExtent, projectPoints, rotationMatrix, trajectories, type Projected, type ViewAngle } from '../lib/particles';
import { niceTicks, scatterLayout, toPixel, type ScatterLayout } from '../lib/scatter';
import { tokenLabel } from '../lib/tokens';
import { canvasFont, context2d, devicePixelRatio, sizeCanvas } from './canvas';
import { ChartFrame, layeredCanvases, saveCsv, savePng } from './chartFrame';
import { AXES_MARGIN, clearOverlay, drawAxisTitles, drawPlotBox, drawXTicks, drawYTicks, paintBackground, pointUnder, ringPoint, tooltipRow } from './chartParts';
import type { Post } from './vscode';

export interface ParticleScatterData {
  /** [snapshot, particle, 3] principal coordinates. */
  readonly coords: Float32Array;
  readonly snapshots: number;
  readonly particles: number;
  /** Axis names of the three coordinates ("PC1 (41 %)"). */
  readonly axes: readonly [string, string, string];
  /** A label per particle (token text), or none. */
  readonly names?: readonly string[];
  /** The color of particle i at snapshot `snapshot`. */
  readonly color: (i: number, snapshot: number, p: Palette) => Rgba;
  /** Tooltip lines of particle i at a snapshot. */
  readonly describe: (i: number, snapshot: number) => readonly (readonly [string, string])[];
  readonly csv: () => string;
  readonly fileName: string;
}

export interface ParticleScatterOptions {
  readonly post: Post;
  readonly palette: () => Palette;
  /** Hovering a particle (undefined when leaving). */
  readonly onHover?: (i: number | undefined) => void;
  readonly testId?: string;
}

const LABEL_ALL_BELOW = 25;

export class ParticleScatter {
  readonly element: HTMLElement;
  private readonly frame: ChartFrame;
  private readonly base: HTMLCanvasElement;
  private readonly overlay: HTMLCanvasElement;
  private readonly stage: HTMLElement;
  private data: ParticleScatterData | undefined;
  private layout: ScatterLayout | undefined;
  private points: Projected | undefined;
  private snapshot = 0;
  private view: ViewAngle = { mode: '2d' };
  private paths = true;
  private hovered: number | undefined;
  private highlighted: number | undefined;
  private drag: { x: number; y: number; moved: boolean } | undefined;

  constructor(private readonly options: ParticleScatterOptions) {
    ({ base: this.base, overlay: this.overlay } = layeredCanvases('particles-canvas', options.testId ? { 'data-testid': options.testId } : {}));
    this.frame = new ChartFrame({
      exportPng: () => void this.exportPng(),
      exportCsv: () => this.exportCsv(),
      canvases: [this.base, this.overlay],
      sectionClass: 'particles-scatter',
      stageClass: 'particles-stage',
      emptyNote: true,
    });
    this.element = this.frame.element;
    this.stage = this.frame.stage;
    this.stage.addEventListener('pointerdown', (e) => {
      if (this.view.mode !== '3d') return;
      this.drag = { x: e.clientX, y: e.clientY, moved: false };
      this.stage.setPointerCapture(e.pointerId);
      this.stage.classList.add('dragging');
    });
    this.stage.addEventListener('pointermove', (e) => this.onMove(e));
    const endDrag = (e: PointerEvent) => {
      if (!this.drag) return;
      this.drag = undefined;
      this.stage.classList.remove('dragging');
      if (this.stage.hasPointerCapture(e.pointerId)) this.stage.releasePointerCapture(e.pointerId);
    };
    this.stage.addEventListener('pointerup', endDrag);
    this.stage.addEventListener('pointercancel', endDrag);
    this.stage.addEventListener('pointerleave', () => {
      if (!this.drag) this.setHovered(undefined, undefined);
    });
  }

  setTitle(title: string, subtitle = ''): void {
    this.frame.setTitle(title, subtitle);
  }

  setData(data: ParticleScatterData | undefined, emptyText = ''): void {
    this.data = data;
    this.hovered = undefined;
    this.snapshot = data ? Math.min(this.snapshot, data.snapshots - 1) : 0;
    this.frame.setData(!!data, emptyText);
    this.draw();
  }

  setWidth(width: number): void {
    if (this.frame.setWidth(width)) this.draw();
  }

  setSnapshot(snapshot: number): void {
    if (snapshot === this.snapshot) return;
    this.snapshot = snapshot;
    this.draw();
  }

  /** 2-D (pc1, pc2) or 3-D; switching to 3-D starts from a tilted view. */
  setMode(mode: '2d' | '3d'): void {
    if (mode === this.view.mode) return;
    this.view = mode === '3d' ? DEFAULT_3D : { mode: '2d' };
    this.stage.classList.toggle('rotatable', mode === '3d');
    this.draw();
  }

  setPaths(paths: boolean): void {
    if (paths === this.paths) return;
    this.paths = paths;
    this.draw();
  }

  /** Rings particle `i` (the token hovered elsewhere). Overlay only. */
  setHighlighted(i: number | undefined): void {
    if (i === this.highlighted) return;
    this.highlighted = i;
    this.drawOverlay();
  }

  get canvas(): HTMLCanvasElement {
    return this.base;
  }

  draw(): void {
    const d = this.data;
    if (!d || this.frame.width <= 0) return;
    const p = this.options.palette();
    const dpr = devicePixelRatio();
    const m = projectionExtent(d.coords, this.view);
    const side = Math.min(this.frame.width, 520);
    const width = side;
    const height = Math.min(480, side);
    const l = scatterLayout({ width, height, domain: { x: [-m, m], y: [-m, m] }, margin: AXES_MARGIN, equalAspect: true });
    this.layout = l;
    sizeCanvas(this.base, width, height, dpr);
    sizeCanvas(this.overlay, width, height, dpr);
    const ctx = context2d(this.base);
    paintBackground(ctx, dpr, p.background, width, height);
    if (this.view.mode === '2d') this.drawAxes2d(ctx, p, l, d);
    else this.drawAxes3d(ctx, p, l, d, m);
    const n = d.particles;
    const s = this.snapshot;
    // Paths: the whole path faint, the part up to this snapshot a little stronger.
    if (this.paths && d.snapshots > 1) {
      const t = trajectories(d.coords, d.snapshots, n, this.view);
      ctx.lineWidth = 1;
      ctx.lineJoin = 'round';
      for (let i = 0; i < n; i++) {
        const color = d.color(i, s, p);
        for (const [from, to, alpha] of [
          [0, d.snapshots - 1, 0.14],
          [0, s, 0.4],
        ] as const) {
          if (to <= from) continue;
          ctx.strokeStyle = cssColor(color, alpha);
          ctx.beginPath();
          for (let k = from; k <= to; k++) {
            const q = toPixel(l, t.xs[i * d.snapshots + k]!, t.ys[i * d.snapshots + k]!);
            if (k === from) ctx.moveTo(q.px, q.py);
            else ctx.lineTo(q.px, q.py);
          }
          ctx.stroke();
        }
      }
    }
    const pts = projectPoints(d.coords, layerOffset(s, n), n, this.view);
    this.points = pts;
    const order = this.view.mode === '3d' ? depthOrder(pts.depth) : [...Array(n).keys()];
    for (const i of order) {
      const x = pts.xs[i]!;
      const y = pts.ys[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const q = toPixel(l, x, y);
      // Nearer points (3-D) are drawn larger.
      const r = this.view.mode === '3d' ? 3.5 + 1.5 * Math.max(-1, Math.min(1, pts.depth[i]! / m)) : 3.5;
      ctx.beginPath();
      ctx.arc(q.px, q.py, r, 0, 2 * Math.PI);
      ctx.fillStyle = cssColor(d.color(i, s, p), 0.9);
      ctx.fill();
      if (p.highContrast) {
        ctx.lineWidth = 1;
        ctx.strokeStyle = cssColor(p.foreground);
        ctx.stroke();
      }
    }
    if (d.names && n < LABEL_ALL_BELOW) {
      ctx.font = canvasFont(10, p.monoFont);
      ctx.fillStyle = cssColor(p.muted);
      ctx.textAlign = 'left';
      ctx.textBaseline = 'bottom';
      for (let i = 0; i < n; i++) {
        const q = toPixel(l, pts.xs[i]!, pts.ys[i]!);
        if (Number.isFinite(q.px) && Number.isFinite(q.py)) ctx.fillText(tokenLabel(d.names[i] ?? '', 10), q.px + 5, q.py - 3);
      }
    }
    this.drawOverlay();
  }

  private drawAxes2d(ctx: CanvasRenderingContext2D, p: Palette, l: ScatterLayout, d: ParticleScatterData): void {
    drawPlotBox(ctx, p, l);
    // The domain is a square around the origin: the same ticks on both axes.
    const ticks = niceTicks(l.domain.x[0], l.domain.x[1], 4);
    const grid = { grid: 0.12, zeroGrid: 0.5, digits: 2 };
    drawXTicks(ctx, p, l, ticks, grid);
    drawYTicks(ctx, p, l, ticks, grid);
    drawAxisTitles(ctx, p, l, d.axes[0], d.axes[1]);
  }

  /** The three principal axes from the origin, rotated with the points, labelled at their tips. */
  private drawAxes3d(ctx: CanvasRenderingContext2D, p: Palette, l: ScatterLayout, d: ParticleScatterData, m: number): void {
    if (this.view.mode !== '3d') return;
    const r = rotationMatrix(this.view.yaw, this.view.pitch);
    const o = toPixel(l, 0, 0);
    ctx.lineWidth = 1;
    ctx.font = canvasFont(10, p.font, '600');
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (let axis = 0; axis < 3; axis++) {
      // Short of the domain edge, so the tip labels stay inside the canvas.
      const len = (m / 1.08) * 0.85;
      // Column `axis` of R is where that basis vector lands on screen.
      const x = r[axis]! * len;
      const y = r[3 + axis]! * len;
      const tip = toPixel(l, x, y);
      const back = toPixel(l, -x, -y);
      ctx.strokeStyle = cssColor(p.muted, 0.45);
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(back.px, back.py);
      ctx.lineTo(o.px, o.py);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.strokeStyle = cssColor(p.muted, 0.7);
      ctx.beginPath();
      ctx.moveTo(o.px, o.py);
      ctx.lineTo(tip.px, tip.py);
      ctx.stroke();
      ctx.fillStyle = cssColor(p.foreground, 0.85);
      ctx.fillText(d.axes[axis]!.split(' ')[0]!, tip.px + (tip.px - o.px) * 0.06, tip.py + (tip.py - o.py) * 0.06);
    }
    ctx.font = canvasFont(10, p.font);
    ctx.fillStyle = cssColor(p.muted);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'bottom';
    ctx.fillText('drag to rotate', l.left + 4, l.top + l.height - 2);
  }

  private drawOverlay(): void {
    const l = this.layout;
    const d = this.data;
    const pts = this.points;
    if (!l || !d || !pts) return;
    const p = this.options.palette();
    const ctx = clearOverlay(this.overlay);
    for (const [i, color] of [
      [this.highlighted, p.focus],
      [this.hovered, p.hover],
    ] as const) {
      if (i === undefined || i >= d.particles) continue;
      const q = toPixel(l, pts.xs[i]!, pts.ys[i]!);
      if (!Number.isFinite(q.px) || !Number.isFinite(q.py)) continue;
      ringPoint(ctx, q.px, q.py, color, p.highContrast ? 2.5 : 1.75);
      if (d.names) {
        ctx.font = canvasFont(11, p.monoFont, '600');
        ctx.fillStyle = cssColor(p.foreground);
        ctx.textBaseline = 'bottom';
        ctx.textAlign = q.px > l.left + l.width * 0.7 ? 'right' : 'left';
        ctx.fillText(tokenLabel(d.names[i] ?? '', 16), q.px + (ctx.textAlign === 'right' ? -9 : 9), q.py - 6);
      }
    }
  }

  private onMove(e: PointerEvent): void {
    if (this.drag && this.view.mode === '3d') {
      const dx = e.clientX - this.drag.x;
      const dy = e.clientY - this.drag.y;
      if (dx !== 0 || dy !== 0) {
        this.view = { mode: '3d', ...dragAngle(this.view, dx, dy) };
        this.drag = { x: e.clientX, y: e.clientY, moved: true };
        this.frame.setTooltip(undefined, undefined);
        this.draw();
      }
      return;
    }
    const l = this.layout;
    const pts = this.points;
    if (!l || !pts) return;
    this.setHovered(pointUnder(this.base, e, l, pts.xs, pts.ys), e);
  }

  private setHovered(i: number | undefined, e: MouseEvent | undefined): void {
    if (i !== this.hovered) {
      this.hovered = i;
      this.drawOverlay();
      this.options.onHover?.(i);
    }
    const d = this.data;
    this.frame.setTooltip(e, i === undefined || !d ? undefined : [...(d.names ? [tooltipRow('Token', d.names[i] ?? '', i)] : []), ...d.describe(i, this.snapshot).map(([k, v]) => tooltipRow(k, v))]);
  }

  async exportPng(): Promise<void> {
    if (this.data) await savePng(this.options.post, this.data.fileName, this.base);
  }

  exportCsv(): void {
    if (this.data) saveCsv(this.options.post, this.data.fileName, this.data.csv());
  }
}
