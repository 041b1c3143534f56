/**
 * `circuit-inspector bench [--tokens 128] [--backend B] [--repeats 5] [--json]`: forward + full
 * cache on a randomly initialised GPT-2-small, per backend, each in its own process so peak RSS
 * is that backend's alone, reported as a ratio to an optimized CPU reference (numpy float32,
 * bench/reference_forward.py) timed in the same run.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { initBackend, type BackendName } from '../engine/backend';
import { forward } from '../engine/model/forward';
import { hookNames } from '../engine/model/hooks';
import { forwardFlops, gpt2SmallSpec, randomWeights } from '../engine/model/random';
import { allWeights } from '../engine/model/weights';
import { parse, positiveInt } from './args';
import { printJson, UsageError } from './output';

const run = promisify(execFile);

/** Backends benchmarked by default. Pure-JS `cpu` takes ~40 s per forward: only on request. */
const DEFAULT_BACKENDS: BackendName[] = ['tensorflow', 'wasm'];
/** The targets: our time ÷ reference time. */
const TARGET_RATIO: Partial<Record<BackendName, number>> = { tensorflow: 2, wasm: 6 };

interface BackendResult {
  backend: BackendName;
  msPerForward: number;
  gflops: number;
  peakRssMb: number;
  ratioToReference?: number;
  targetRatio?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs in the child process: one backend, printed as one JSON line. */
async function benchOneBackend(backend: BackendName, nTokens: number, repeats: number): Promise<BackendResult> {
  await initBackend(backend);
  const spec = gpt2SmallSpec();
  const weights = randomWeights(spec, 0);
  const tokens = [Array.from({ length: nTokens }, (_, i) => (i * 7919) % spec.dVocab)];
  const names = hookNames(spec);
  const times: number[] = [];
  for (let i = 0; i < repeats + 1; i++) {
    const start = performance.now();
    const result = await forward(spec, weights, tokens, { cache: names, logits: 'all', loss: true });
    await result.loss!.data(); // wait for the backend to finish
    const elapsed = performance.now() - start;
    result.dispose();
    if (i > 0) times.push(elapsed); // the first run warms kernels up
  }
  allWeights(weights).forEach((t) => t.dispose());
  const ms = median(times);
  return {
    backend,
    msPerForward: Math.round(ms * 10) / 10,
    gflops: Math.round((forwardFlops(spec, nTokens) / (ms / 1000) / 1e9) * 10) / 10,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

async function benchInChild(backend: BackendName, nTokens: number, repeats: number): Promise<BackendResult | { backend: BackendName; error: string }> {
  try {
    const { stdout } = await run(process.execPath, [__filename, 'bench', '--single', '--backend', backend, '--tokens', String(nTokens), '--repeats', String(repeats)], {
      maxBuffer: 1 << 20,
    });
    return JSON.parse(stdout.trim().split('\n').pop()!) as BackendResult;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    return { backend, error: stderr.trim().split('\n').pop() ?? 'failed' };
  }
}

/** numpy's forward, with the OpenBLAS overrides removed that slow a current numpy (see bench/README.md). */
async function referenceTiming(nTokens: number, repeats: number): Promise<Record<string, unknown>> {
  const script = path.join(__dirname, '..', 'bench', 'reference_forward.py');
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  try {
    const { stdout } = await run('python3', [script, '--tokens', String(nTokens), '--repeats', String(repeats)], { env, maxBuffer: 1 << 20 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  } catch (error) {
    return { reference: 'numpy', error: ((error as { stderr?: string }).stderr ?? String(error)).trim().split('\n').pop() };
  }
}

function printTable(report: { tokens: number; reference: Record<string, unknown>; results: (BackendResult | { backend: string; error: string })[] }): void {
  const lines = [`GPT-2-small forward + full cache, ${report.tokens} tokens`];
  const ref = report.reference;
  lines.push(ref.msPerForward ? `  reference (numpy)  ${ref.msPerForward} ms` : `  reference (numpy)  unavailable: ${String(ref.error)}`);
  for (const r of report.results) {
    if ('error' in r) lines.push(`  ${r.backend.padEnd(17)}  unavailable: ${r.error}`);
    else {
      const ratio = r.ratioToReference ? `  ${r.ratioToReference}× reference (target ≤ ${r.targetRatio ?? '—'}×)` : '';
      lines.push(`  ${r.backend.padEnd(17)}  ${r.msPerForward} ms  ${r.gflops} GFLOP/s  peak RSS ${r.peakRssMb} MB${ratio}`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function benchCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    tokens: { type: 'string' },
    backend: { type: 'string' },
    repeats: { type: 'string' },
    json: { type: 'boolean' },
    single: { type: 'boolean' },
    'no-reference': { type: 'boolean' },
  });
  const nTokens = positiveInt(values.tokens, 'tokens', 128);
  const repeats = positiveInt(values.repeats, 'repeats', 5);
  if (nTokens > gpt2SmallSpec().nCtx) throw new UsageError(`--tokens must be at most ${gpt2SmallSpec().nCtx}`);
  const chosen = values.backend as string | undefined;
  if (chosen !== undefined && !['tensorflow', 'wasm', 'cpu'].includes(chosen)) throw new UsageError('--backend must be tensorflow, wasm or cpu');

  if (values.single) {
    printJson(await benchOneBackend(chosen as BackendName, nTokens, repeats));
    return;
  }
  const backends = chosen ? [chosen as BackendName] : DEFAULT_BACKENDS;
  const results = [];
  for (const backend of backends) results.push(await benchInChild(backend, nTokens, repeats));
  const reference = values['no-reference'] ? { reference: 'numpy', error: 'skipped (--no-reference)' } : await referenceTiming(nTokens, repeats);
  const refMs = typeof reference.msPerForward === 'number' ? reference.msPerForward : undefined;
  for (const r of results) {
    if ('error' in r || refMs === undefined) continue;
    r.ratioToReference = Math.round((r.msPerForward / refMs) * 100) / 100;
    r.targetRatio = TARGET_RATIO[r.backend];
  }
  const report = { tokens: nTokens, reference, results };
  if (values.json) printJson(report);
  else printTable(report);
}
