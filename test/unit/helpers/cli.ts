/** Runs the built CLI (dist/cli.js) as a user would, and checks its one-line user errors. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const CLI = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');

/** `describe` option: skip CLI suites when the bundle has not been built. */
export const SKIP_WITHOUT_CLI = existsSync(CLI) ? false : 'dist/cli.js not built (npm run build)';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function cli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A user error: exit code 1, exactly one line on stderr naming `mention`, no stack trace, nothing on stdout. */
export function assertUserError(result: CliResult, mention: RegExp): void {
  assert.equal(result.code, 1, `exit code (stderr: ${result.stderr})`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0]!, mention);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(result.stdout, '');
}
