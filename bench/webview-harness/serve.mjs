// Serves the webview the way VS Code would: the HTML from src/panel/html.ts (with its CSP), the
// stylesheet and codicons from the extension's folders, and a bundle built here with esbuild's JS
// API from `entry` (in place of dist/webview.js). Run under tsx (html.ts is TypeScript).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { inspectorHtml } from '../../src/panel/html.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TYPES = { '.css': 'text/css', '.js': 'text/javascript', '.ttf': 'font/ttf', '.png': 'image/png', '.svg': 'image/svg+xml' };
const ALLOWED = ['media/', 'node_modules/@vscode/codicons/dist/'];

/** Bundles `entry` (relative to the repo root) for the browser, like esbuild.js does for the webview. */
export async function bundle(entry) {
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    sourcemap: 'inline',
    logLevel: 'error',
  });
  return result.outputFiles[0].text;
}

/** A stand-in for vscode.Uri: just enough for inspectorHtml (path, with, toString). */
function fakeUri(base, p) {
  return {
    path: p,
    with: (change) => fakeUri(base, change.path ?? p),
    toString: () => base + p,
  };
}

/** Starts the server; returns its origin and a close function. */
export async function serve(entry) {
  const script = await bundle(entry);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === '/' || url.pathname === '/index.html') {
        const origin = `http://${req.headers.host}`;
        const webview = {
          cspSource: origin,
          asWebviewUri: (uri) => fakeUri(origin, uri.path.replace(/^\/ext/, '')),
        };
        const nonce = 'harnessNonce0123456789abcdef';
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(inspectorHtml(webview, fakeUri(origin, '/ext'), nonce));
        return;
      }
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      if (url.pathname === '/dist/webview.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(script);
        return;
      }
      const rel = decodeURIComponent(url.pathname).replace(/^\/+/, '');
      if (!ALLOWED.some((a) => rel.startsWith(a)) || rel.includes('..')) {
        res.writeHead(404).end();
        return;
      }
      const body = await readFile(path.join(ROOT, rel));
      res.writeHead(200, { 'content-type': TYPES[path.extname(rel)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Launches Debian's chromium through playwright-core. */
export async function launch() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}
