// Rendering benchmark of the webview in a real browser (Debian's chromium through playwright-core):
// 144 attention thumbnails (12 layers × 12 heads) at 128 tokens, the large heatmap of one head,
// and a hover repaint (highlight in every thumbnail and the large view, strip shading). Prints
// JSON; the budget is thumbnails < 100 ms and a hover repaint within one frame (16 ms).
//
//   node --import tsx bench/webview-render.mjs
import { launch, serve } from './webview-harness/serve.mjs';

const server = await serve('bench/webview-harness/render-entry.js');
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.origin);
  await page.waitForFunction(() => globalThis.__bench !== undefined);
  const result = await page.evaluate(() => globalThis.__bench.run());
  if (errors.length) throw new Error(errors.join('\n'));
  const ok = result.thumbnailsMs < 100 && result.hoverRepaintMs < 16;
  console.log(JSON.stringify({ ...result, budget: { thumbnailsMs: 100, hoverRepaintMs: 16 }, ok }));
  if (!ok) process.exitCode = 1;
} finally {
  await browser.close();
  await server.close();
}
