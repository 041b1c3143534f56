/** How the CLI talks back: JSON on stdout, one line per user error on stderr, exit code 1. */
import { isEngineError } from '../engine/errors';

/** Thrown for a bad command line (shown like an engine error, as one line). */
export class UsageError extends Error {}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** One line for errors the user can fix; a stack trace only for bugs. */
export function reportFailure(error: unknown): number {
  if (isEngineError(error) || error instanceof UsageError) {
    process.stderr.write(`circuit-inspector: ${error.message}\n`);
    return 1;
  }
  process.stderr.write(`circuit-inspector: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 2;
}
