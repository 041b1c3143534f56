/** A color-scale legend on canvas: the bar, its end and middle values, and what the values are. */
import { cssColor, type Palette } from '../lib/color';
import { scaleLabels, scaleLut, type HeatScale } from '../lib/scale';
import { canvasFont, context2d, sizeCanvas } from './canvas';

export function drawLegend(canvas: HTMLCanvasElement, p: Palette, scale: HeatScale, valueName: string, dpr: number): void {
  const barW = 160;
  const barH = 8;
  const width = barW + 140;
  const height = barH + 18;
  sizeCanvas(canvas, width, height, dpr);
  const ctx = context2d(canvas);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = cssColor(p.background);
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const lut = scaleLut(p, scale);
  const pxW = Math.round(barW * dpr);
  const pxH = Math.round(barH * dpr);
  const image = ctx.createImageData(pxW, pxH);
  const pixels = new Uint32Array(image.data.buffer);
  for (let x = 0; x < pxW; x++) {
    const pixel = lut[Math.round((x / Math.max(1, pxW - 1)) * (lut.length - 1))]!;
    for (let y = 0; y < pxH; y++) pixels[y * pxW + x] = pixel;
  }
  const x0 = Math.round(24 * dpr);
  ctx.putImageData(image, x0, Math.round(2 * dpr));
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.strokeStyle = cssColor(p.muted, 0.4);
  ctx.strokeRect(24 - 0.5, 2 - 0.5, barW + 1, barH + 1);
  ctx.font = canvasFont(10, p.font);
  ctx.fillStyle = cssColor(p.muted);
  ctx.textBaseline = 'top';
  const [lo, mid, hi] = scaleLabels(scale);
  ctx.textAlign = 'center';
  ctx.fillText(lo, 24, barH + 5);
  ctx.fillText(mid, 24 + barW / 2, barH + 5);
  ctx.fillText(hi, 24 + barW, barH + 5);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.fillText(valueName.toLowerCase(), 24 + barW + 10, 2 + barH / 2);
}
