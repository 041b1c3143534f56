/**
 * `circuit-inspector bench [--tokens 128] [--backend B] [--repeats 5] [--threads N] [--no-sweeps] [--json]`:
 * on a randomly initialised GPT-2-small, per backend, each in its own process (so its peak RSS is
 * its own):
 *   - forward + full activation cache (every hook, all-position logits, loss), as a ratio to an
 *     optimized CPU reference timed in the same run: the faster of numpy float32
 *     (bench/reference_forward.py) and PyTorch (bench/reference_forward_torch.py), each timed
 *     before and after the backends, its faster median kept;
 *   - the same forward caching attention patterns only;
 *   - peak RSS while forwards run (weights resident), against the weights' size;
 *   - the threads that did the work (/proc per-thread CPU time; wasm: its pool size);
 *   - the head detectors and a 144-head activation-patching sweep at 32 tokens, per head.
 * `--threads N` caps every side at N threads (libtensorflow's intra-op pool, the wasm pool,
 * OpenBLAS, torch): with one thread each, a machine shared with other work slows both sides of
 * the ratio alike, where the references' threads otherwise lose most.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { headScores } from '../engine/analysis/detectors';
import { initBackend, wasmThreads, type BackendName } from '../engine/backend';
import { patchSweep } from '../engine/interventions/patch';
import { forward, type ForwardOptions } from '../engine/model/forward';
import { HOOK, hookNames, type HookFn } from '../engine/model/hooks';
import type { TransformerModel } from '../engine/model/model';
import { forwardFlops, gpt2SmallSpec, randomWeights } from '../engine/model/random';
import type { ModelSpec } from '../engine/model/spec';
import { allWeights, type DeviceWeights } from '../engine/model/weights';
import { parse, positiveInt } from './args';
import { printJson, UsageError } from './output';

const run = promisify(execFile);

/** Backends benchmarked by default. Pure-JS `cpu` takes ~40 s per forward: only on request. */
const DEFAULT_BACKENDS: BackendName[] = ['tensorflow', 'wasm'];
/** The targets: our full-cache forward time ÷ the reference's. */
const TARGET_RATIO: Partial<Record<BackendName, number>> = { tensorflow: 1.5, wasm: 5 };
/** Prompt length of the detector and patching sweeps. */
const SWEEP_TOKENS = 32;

interface ForwardTiming {
  msPerForward: number;
  msAll: number[];
  /** Peak resident memory while these forwards ran, weights included (MB). */
  peakRssMb: number;
}

interface BackendResult {
  backend: BackendName;
  weightsMb: number;
  full: ForwardTiming & { gflops: number };
  patternsOnly: ForwardTiming;
  threads: {
    /** Threads that did ≥ 25% of the busiest one's CPU time during the full-cache forwards. */
    busy: number;
    /** Process CPU time ÷ wall time over those forwards (≈ threads kept busy; lower on a loaded machine). */
    cpuPerWall: number;
    /** The wasm backend's XNNPACK pool size (1: single-threaded build). */
    wasmPool?: number;
  };
  detectors?: { tokens: number; msPerHeadFirst: number; msPerHead: number };
  patching?: { tokens: number; heads: number; msPerHead: number };
  ratioToReference?: number;
  targetRatio?: number;
}

type Failed = { backend: string; error: string };

const round1 = (x: number) => Math.round(x * 10) / 10;
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const ratio2 = (x: number) => Math.round(x * 100) / 100;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// --- process measurements (Linux /proc; other systems get the process-lifetime figures) ----------

/** Starts a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM). */
function resetPeakRss(): void {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux: peakRssMb() falls back to the process-lifetime peak
  }
}

function peakRssMb(): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Math.round(Number(kb) / 1024);
  } catch {
    // fall through
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** CPU ticks (user + system) of each thread of this process. */
function threadTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  try {
    for (const tid of fs.readdirSync('/proc/self/task')) {
      const fields = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks.set(tid, Number(fields[11]) + Number(fields[12]));
    }
  } catch {
    // not Linux
  }
  return ticks;
}

function busyThreads(before: Map<string, number>, after: Map<string, number>): number {
  const used = [...after].map(([tid, t]) => t - (before.get(tid) ?? 0)).filter((t) => t > 0);
  const most = Math.max(0, ...used);
  return used.filter((t) => t >= 0.25 * most).length;
}

// --- the child: one backend ------------------------------------------------------------------------

/** What the sweeps use of a TransformerModel, over in-memory random weights (no 500 MB checkpoint). */
function randomModel(spec: ModelSpec, weights: DeviceWeights): TransformerModel {
  const runBatch = (tokens: readonly number[] | readonly (readonly number[])[], options: ForwardOptions = {}) =>
    forward(spec, weights, Array.isArray(tokens[0]) ? (tokens as number[][]) : [tokens as number[]], options);
  const model = {
    spec,
    weights,
    tokenizer: undefined,
    run: runBatch,
    runWithCache: (tokens: number[], names: Iterable<string>, options: ForwardOptions = {}) => runBatch(tokens, { ...options, cache: names }),
    runWithHooks: (tokens: number[], hooks: ReadonlyMap<string, HookFn>, options: ForwardOptions = {}) => runBatch(tokens, { ...options, hooks }),
  };
  return model as unknown as TransformerModel;
}

/**
 * Median time of `repeats` forwards caching `cache`. The full run returns every position's logits
 * and loss as the panel's run does; `patternsOnly` asks for the patterns alone (no logits, no loss:
 * the attention view's and the detectors' need), so the unembedding is skipped.
 */
async function timeForwards(
  spec: ModelSpec,
  weights: DeviceWeights,
  tokens: number[][],
  cache: string[],
  repeats: number,
  patternsOnly = false,
): Promise<ForwardTiming> {
  const once = async () => {
    const start = performance.now();
    const result = await forward(spec, weights, tokens, patternsOnly ? { cache, logits: 'none', loss: false } : { cache, logits: 'all', loss: true });
    // Wait for the backend to finish.
    await (patternsOnly ? result.cache.get(cache[cache.length - 1]!)! : result.loss!).data();
    const elapsed = performance.now() - start;
    result.dispose();
    return elapsed;
  };
  await once(); // warms kernels up
  resetPeakRss();
  const msAll: number[] = [];
  for (let i = 0; i < repeats; i++) msAll.push(await once());
  return { msPerForward: round1(median(msAll)), msAll: msAll.map(round1), peakRssMb: peakRssMb() };
}

async function benchOneBackend(backend: BackendName, nTokens: number, repeats: number, sweeps: boolean): Promise<BackendResult> {
  await initBackend(backend);
  const spec = gpt2SmallSpec();
  const weights = randomWeights(spec, 0);
  const tensors = allWeights(weights);
  // Backends may copy data in lazily (tfjs-node at first use): touch every weight once, then let
  // the JavaScript-side copies go, so the peaks below are the forwards' own.
  for (const t of tensors) tf.tidy(() => void tf.sum(t).dataSync());
  (globalThis as { gc?: () => void }).gc?.();
  const weightsMb = Math.round(tensors.reduce((sum, t) => sum + t.size * 4, 0) / 2 ** 20);

  const tokens = [Array.from({ length: nTokens }, (_, i) => (i * 7919) % spec.dVocab)];
  // Patterns only first: freed memory stays with the process, so a peak window opened after the
  // full-cache forwards would start at their high-water mark.
  const patterns = Array.from({ length: spec.nLayers }, (_, l) => HOOK.pattern(l));
  const patternsOnly = await timeForwards(spec, weights, tokens, patterns, repeats, true);
  const cpu0 = process.cpuUsage();
  const ticks0 = threadTicks();
  const wall0 = performance.now();
  const full = await timeForwards(spec, weights, tokens, hookNames(spec), repeats);
  const cpu = process.cpuUsage(cpu0);
  const threads = {
    busy: busyThreads(ticks0, threadTicks()),
    cpuPerWall: ratio2((cpu.user + cpu.system) / 1000 / (performance.now() - wall0)),
    wasmPool: wasmThreads(),
  };

  const result: BackendResult = {
    backend,
    weightsMb,
    full: { ...full, gflops: round1(forwardFlops(spec, nTokens) / (full.msPerForward / 1000) / 1e9) },
    patternsOnly,
    threads,
  };
  if (sweeps) {
    const model = randomModel(spec, weights);
    const heads = spec.nLayers * spec.nHeads;
    const prompt = Array.from({ length: SWEEP_TOKENS }, (_, i) => (i * 104729 + 17) % spec.dVocab);
    // First run includes the heads' OV spectra (computed once per model); the second reuses them.
    let start = performance.now();
    await headScores(model, { tokens: prompt });
    const first = performance.now() - start;
    start = performance.now();
    await headScores(model, { tokens: prompt });
    const again = performance.now() - start;
    result.detectors = { tokens: SWEEP_TOKENS, msPerHeadFirst: round3(first / heads), msPerHead: round3(again / heads) };

    const corrupted = prompt.map((id, i) => (i % 4 === 1 ? (id + 1) % spec.dVocab : id));
    const metric = { kind: 'logitDiff' as const, target: prompt[SWEEP_TOKENS - 1]!, distractor: corrupted[1]! };
    start = performance.now();
    await patchSweep(model, { clean: prompt, corrupted, component: 'heads', metric });
    result.patching = { tokens: SWEEP_TOKENS, heads, msPerHead: round3((performance.now() - start) / heads) };
  }
  tensors.forEach((t) => t.dispose());
  return result;
}

// --- the parent: references, children, report ------------------------------------------------------

/** The environment that caps every library's threads at `threads` (undefined: their defaults). */
function threadsEnv(threads: number | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (threads !== undefined) {
    for (const name of ['TF_NUM_INTRAOP_THREADS', 'CIRCUIT_INSPECTOR_WASM_THREADS', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS']) {
      env[name] = String(threads);
    }
  }
  return env;
}

async function benchInChild(backend: BackendName, nTokens: number, repeats: number, sweeps: boolean, threads?: number): Promise<BackendResult | Failed> {
  const args = ['--expose-gc', __filename, 'bench', '--single', '--backend', backend, '--tokens', String(nTokens), '--repeats', String(repeats)];
  if (!sweeps) args.push('--no-sweeps');
  try {
    const { stdout } = await run(process.execPath, args, { env: threadsEnv(threads), maxBuffer: 1 << 20 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as BackendResult;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    return { backend, error: stderr.trim().split('\n').pop() ?? 'failed' };
  }
}

type Reference = { reference: string; msPerForward?: number; error?: string } & Record<string, unknown>;

/**
 * One reference run. numpy's with the OpenBLAS overrides removed that slow a current numpy (see
 * bench/README.md).
 */
async function referenceTiming(kind: 'numpy' | 'torch', nTokens: number, repeats: number, threads?: number): Promise<Reference> {
  const script = path.join(__dirname, '..', 'bench', kind === 'numpy' ? 'reference_forward.py' : 'reference_forward_torch.py');
  const env = threadsEnv(threads);
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  try {
    const { stdout } = await run('python3', [script, '--tokens', String(nTokens), '--repeats', String(repeats)], { env, maxBuffer: 1 << 20 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as Reference;
  } catch (error) {
    return { reference: kind, error: ((error as { stderr?: string }).stderr ?? String(error)).trim().split('\n').pop() };
  }
}

function faster(a: Reference, b: Reference): Reference {
  if (a.msPerForward === undefined) return b;
  if (b.msPerForward === undefined) return a;
  return b.msPerForward < a.msPerForward ? b : a;
}

interface Report {
  tokens: number;
  threads: number | 'default';
  reference: Reference;
  references: Reference[];
  results: (BackendResult | Failed)[];
}

function printTable(report: Report): void {
  const cap = report.threads === 'default' ? '' : `, every side on ${report.threads} thread(s)`;
  const lines = [`GPT-2-small, random weights; forward + full cache at ${report.tokens} tokens (median ms${cap})`];
  for (const ref of report.references) {
    const chosen = ref === report.reference ? '  ← reference' : '';
    lines.push(ref.msPerForward !== undefined ? `  ${ref.reference.padEnd(10)}  ${ref.msPerForward} ms${chosen}` : `  ${ref.reference.padEnd(10)}  unavailable: ${String(ref.error)}`);
  }
  for (const r of report.results) {
    if ('error' in r) {
      lines.push(`  ${r.backend.padEnd(10)}  unavailable: ${r.error}`);
      continue;
    }
    const ratio = r.ratioToReference !== undefined ? `  ${r.ratioToReference}× reference (target ≤ ${r.targetRatio ?? '—'}×)` : '';
    lines.push(`  ${r.backend.padEnd(10)}  ${r.full.msPerForward} ms  ${r.full.gflops} GFLOP/s${ratio}`);
    lines.push(`  ${''.padEnd(10)}  patterns-only cache ${r.patternsOnly.msPerForward} ms`);
    lines.push(
      `  ${''.padEnd(10)}  peak RSS ${r.full.peakRssMb} MB full cache, ${r.patternsOnly.peakRssMb} MB patterns only ` +
        `(weights ${r.weightsMb} MB: ×${ratio2(r.full.peakRssMb / r.weightsMb)}, ×${ratio2(r.patternsOnly.peakRssMb / r.weightsMb)})`,
    );
    const pool = r.threads.wasmPool !== undefined ? `, wasm pool ${r.threads.wasmPool}` : '';
    lines.push(`  ${''.padEnd(10)}  threads busy ${r.threads.busy} (CPU/wall ${r.threads.cpuPerWall}${pool})`);
    if (r.detectors) lines.push(`  ${''.padEnd(10)}  head detectors at ${r.detectors.tokens} tokens: ${r.detectors.msPerHead} ms/head (first run ${r.detectors.msPerHeadFirst})`);
    if (r.patching) lines.push(`  ${''.padEnd(10)}  patching ${r.patching.heads} heads at ${r.patching.tokens} tokens: ${r.patching.msPerHead} ms/head`);
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
    'no-sweeps': { type: 'boolean' },
    threads: { type: 'string' },
  });
  const nTokens = positiveInt(values.tokens, 'tokens', 128);
  const repeats = positiveInt(values.repeats, 'repeats', 5);
  if (nTokens > gpt2SmallSpec().nCtx) throw new UsageError(`--tokens must be at most ${gpt2SmallSpec().nCtx}`);
  const chosen = values.backend as string | undefined;
  if (chosen !== undefined && !['tensorflow', 'wasm', 'cpu'].includes(chosen)) throw new UsageError('--backend must be tensorflow, wasm or cpu');
  const sweeps = !values['no-sweeps'];
  const threads = values.threads === undefined ? undefined : positiveInt(values.threads, 'threads', 1);

  if (values.single) {
    printJson(await benchOneBackend(chosen as BackendName, nTokens, repeats, sweeps));
    return;
  }
  const withReference = !values['no-reference'];
  const references = async () =>
    withReference ? [await referenceTiming('numpy', nTokens, repeats, threads), await referenceTiming('torch', nTokens, repeats, threads)] : [];
  // References before and after the backends: on a shared machine, load comes and goes.
  const before = await references();
  const results: (BackendResult | Failed)[] = [];
  for (const backend of chosen ? [chosen as BackendName] : DEFAULT_BACKENDS) results.push(await benchInChild(backend, nTokens, repeats, sweeps, threads));
  const after = await references();
  const best = before.map((ref, i) => faster(ref, after[i]!));
  const reference = best.length ? best.reduce(faster) : { reference: 'none', error: 'skipped (--no-reference)' };
  const refMs = reference.msPerForward;
  for (const r of results) {
    if ('error' in r || refMs === undefined) continue;
    r.ratioToReference = ratio2(r.full.msPerForward / refMs);
    r.targetRatio = TARGET_RATIO[r.backend];
  }
  const report: Report = { tokens: nTokens, threads: threads ?? 'default', reference, references: best, results };
  if (values.json) printJson(report);
  else printTable(report);
}
