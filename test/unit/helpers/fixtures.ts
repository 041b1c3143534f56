/**
 * The reference fixtures: tiny models of each family built and run by Hugging Face transformers
 * (test/fixtures/generate.py), with transformers' logits, attentions, hidden states and loss.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const FIXTURES_DIR = path.join(__dirname, '..', '..', 'fixtures');
export const MODELS_DIR = path.join(FIXTURES_DIR, 'models');

/** Every fixture model folder, one per family variant. */
export const FIXTURE_MODELS = [
  'gpt2',
  'gpt2-f16',
  'gpt-neo',
  'pythia',
  'gpt-neox-sequential',
  'llama',
  'llama-bf16-tied',
  'mistral',
  'qwen2',
] as const;

export interface ReferenceCase {
  readonly tokens: number[];
  readonly text?: string;
  /** [pos][vocab] */
  readonly logits: number[][];
  /** [layer][head][query][key] */
  readonly attentions: number[][][][];
  readonly loss: number;
  /** [layer + 1][pos][d_model]; the last entry is after the final norm. First case only. */
  readonly hidden_states?: number[][][];
}

export interface Reference {
  readonly name: string;
  readonly model_type: string;
  readonly cases: ReferenceCase[];
}

export function modelDir(name: string): string {
  return path.join(MODELS_DIR, name);
}

export function readReference(name: string): Reference {
  return JSON.parse(readFileSync(path.join(modelDir(name), 'reference.json'), 'utf8')) as Reference;
}

/** Largest |a − b| over two equally shaped nested arrays; throws if shapes differ. */
export function maxAbsDiff(actual: ArrayLike<number> | unknown[], expected: ArrayLike<number> | unknown[]): number {
  const a = flatten(actual);
  const e = flatten(expected);
  if (a.length !== e.length) throw new Error(`size mismatch: ${a.length} vs ${e.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i]! - e[i]!);
    if (!(diff <= max)) max = Number.isNaN(diff) ? Infinity : diff;
  }
  return max;
}

function flatten(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  return (value as unknown[]).flatMap(flatten);
}
