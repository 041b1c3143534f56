/**
 * Runs the integration suite (`test/suite/`) in desktop VS Code through `@vscode/test-electron`,
 * for machines that can download VS Code (this project's CI network cannot: it uses
 * test/runner/codeServer.ts instead). Run `npm run build` first; the repository is the extension
 * development path.
 *
 *   node --import tsx test/runner/electron.ts
 *
 * Environment: VSCODE_VERSION (default `stable`), VSCODE_EXECUTABLE to use an installed VS Code
 * instead of downloading one, CIRCUIT_INSPECTOR_GREP to run only the matching tests. On a Linux
 * machine without a display, run it under `xvfb-run -a`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { assertExtensionBuilt, buildSuite, FIXTURES_DIR, REPO_ROOT, SUITE_ENTRY } from './buildSuite';

async function main(): Promise<number> {
  assertExtensionBuilt();
  await buildSuite();
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'circuit-inspector-electron-'));
  const workspace = path.join(run, 'workspace');
  fs.mkdirSync(workspace);
  fs.writeFileSync(path.join(workspace, 'README.md'), 'Workspace of the Circuit Inspector integration suite.\n');
  const userData = path.join(run, 'data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify({ 'workbench.startupEditor': 'none', 'chat.disableAIFeatures': true, 'update.mode': 'none', 'telemetry.telemetryLevel': 'off', 'security.workspace.trust.enabled': false }, null, 2),
  );

  const extensionTestsEnv: Record<string, string> = { CIRCUIT_INSPECTOR_FIXTURES: FIXTURES_DIR };
  for (const name of ['CIRCUIT_INSPECTOR_GREP', 'CIRCUIT_INSPECTOR_VERBOSE']) {
    const value = process.env[name];
    if (value) extensionTestsEnv[name] = value;
  }
  try {
    return await runTests({
      ...(process.env.VSCODE_EXECUTABLE ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE } : { version: process.env.VSCODE_VERSION ?? 'stable' }),
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: SUITE_ENTRY,
      extensionTestsEnv,
      launchArgs: [workspace, '--user-data-dir', userData, '--extensions-dir', path.join(run, 'extensions'), '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--disable-gpu'],
    });
  } finally {
    fs.rmSync(run, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
