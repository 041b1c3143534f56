/** Command-line parsing shared by the subcommands, on node's own `util.parseArgs`. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BACKEND_CHOICES, type BackendChoice } from '../engine/backend';
import { UsageError } from './output';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse(argv: string[], options: Options): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (error) {
    // parseArgs explains some mistakes over several lines; the CLI promises one.
    throw new UsageError((error as Error).message.split('\n').map((line) => line.trim()).filter(Boolean).join(' '));
  }
}

export function backendOption(value: string | boolean | undefined): BackendChoice {
  const choice = (value ?? 'auto') as BackendChoice;
  if (!BACKEND_CHOICES.includes(choice)) throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${String(value)}"`);
  return choice;
}

/** The single positional <model> argument. */
export function modelArgument(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`usage: circuit-inspector ${command} <model> … (expected one model path, got ${positionals.length})`);
  return positionals[0]!;
}

/** "1,2,3" → [1, 2, 3]; anything else is a usage error naming the bad entry. */
export function tokenList(text: string): number[] {
  return text.split(',').map((part) => {
    const trimmed = part.trim();
    if (!/^\d+$/.test(trimmed)) throw new UsageError(`--tokens must be comma-separated token ids, got "${part}"`);
    return Number(trimmed);
  });
}

export function positiveInt(value: string | boolean | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) throw new UsageError(`--${name} must be a positive integer, got "${String(value)}"`);
  return parsed;
}
