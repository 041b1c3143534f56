/** Canvas plumbing: device-pixel sizing, fonts, PNG bytes. */

export function devicePixelRatio(): number {
  return Math.max(1, window.devicePixelRatio || 1);
}

/** Sizes a canvas to CSS pixels × the device pixel ratio (only when it changed: resizing clears it). */
export function sizeCanvas(canvas: HTMLCanvasElement, cssWidth: number, cssHeight: number, dpr = devicePixelRatio()): void {
  const w = Math.max(1, Math.round(cssWidth * dpr));
  const h = Math.max(1, Math.round(cssHeight * dpr));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  canvas.style.width = `${w / dpr}px`;
  canvas.style.height = `${h / dpr}px`;
}

export function context2d(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('canvas 2d context unavailable');
  return ctx;
}

/** The canvas as PNG bytes, for a `save` message. */
export async function pngBytes(canvas: HTMLCanvasElement): Promise<Uint8Array> {
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('could not encode the image');
  return new Uint8Array(await blob.arrayBuffer());
}

/** Stacks canvases vertically on the given background into one, for exports with a legend. */
export function stackCanvases(parts: readonly HTMLCanvasElement[], background: string, pad = 0): HTMLCanvasElement {
  const width = Math.max(...parts.map((p) => p.width)) + 2 * pad;
  const height = parts.reduce((h, p) => h + p.height, 0) + 2 * pad;
  const out = document.createElement('canvas');
  out.width = width;
  out.height = height;
  const ctx = context2d(out);
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, width, height);
  let y = pad;
  for (const p of parts) {
    ctx.drawImage(p, pad, y);
    y += p.height;
  }
  return out;
}

/** A CSS font shorthand for canvas text. */
export function canvasFont(px: number, family: string, weight = 'normal'): string {
  return `${weight} ${px}px ${family}`;
}
