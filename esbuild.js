// Bundles the four programs into dist/: the extension host, the engine process it forks, the
// headless CLI, and the webview. tfjs stays external: its backends register kernels into one
// shared tfjs-core instance, and the native backend's binding must be loaded from node_modules.
const esbuild = require('esbuild');

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const nodeExternal = ['vscode', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node'];

/** @type {import('esbuild').BuildOptions[]} */
const builds = [
  { entryPoints: { extension: 'src/extension.ts' }, platform: 'node', format: 'cjs', external: nodeExternal },
  { entryPoints: { engine: 'src/engine/process.ts' }, platform: 'node', format: 'cjs', external: nodeExternal },
  { entryPoints: { cli: 'src/cli.ts' }, platform: 'node', format: 'cjs', external: nodeExternal, banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: { webview: 'webview/main.ts' }, platform: 'browser', format: 'iife' },
].map((options) => ({
  bundle: true,
  outdir: 'dist',
  target: options.platform === 'node' ? 'node20' : 'es2022',
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  ...options,
}));

async function main() {
  if (watch) {
    const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
    await Promise.all(contexts.map((context) => context.watch()));
    return;
  }
  await Promise.all(builds.map((options) => esbuild.build(options)));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
