/**
 * Bundles the integration suite (`test/suite/index.ts` and every `test/suite/*.test.ts`) into
 * `out/test/suite/` with esbuild, one CommonJS file per entry. `vscode` is provided by the
 * extension host and `mocha` must be one shared instance (the runner's `suite`/`test` functions
 * are bound when the runner loads each file), so both stay external; mocha is then required from
 * the repository's node_modules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SUITE_OUT_DIR = path.join(REPO_ROOT, 'out', 'test', 'suite');
/** What test-electron's `extensionTestsPath` and the code-server payload point at. */
export const SUITE_ENTRY = path.join(SUITE_OUT_DIR, 'index.js');
/** The extension's fixtures, passed to the extension host as CIRCUIT_INSPECTOR_FIXTURES. */
export const FIXTURES_DIR = path.join(REPO_ROOT, 'test', 'fixtures');

export async function buildSuite(): Promise<void> {
  const sourceDir = path.join(REPO_ROOT, 'test', 'suite');
  const entries = fs
    .readdirSync(sourceDir)
    .filter((name) => name === 'index.ts' || name.endsWith('.test.ts'))
    .map((name) => path.join(sourceDir, name));
  fs.rmSync(SUITE_OUT_DIR, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: entries,
    outdir: SUITE_OUT_DIR,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
}

/** Checks that the extension itself was built (`npm run build`), since nothing here builds it. */
export function assertExtensionBuilt(): void {
  const main = path.join(REPO_ROOT, 'dist', 'extension.js');
  if (!fs.existsSync(main)) {
    throw new Error(`${main} is missing: run \`npm run build\` first.`);
  }
}
