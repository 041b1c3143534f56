/**
 * `circuit-inspector simulate --n N --d D --beta B --t T --dt DT [--init random|orthonormal]
 *    [--dynamics sa|usa] [--integrator euler|rk4] [--delta D] [--seed S]
 *    [--model M [--head L.H] [--from-layer L (--prompt TEXT | --tokens IDS)]] [--backend B]`:
 * the self-attention dynamics on the sphere of Geshkovski et al. 2023 (see
 * engine/analysis/particles/simulate.ts), Q = K = V = I unless `--head` takes a model head's
 * processed W_Q, W_K, W_OV (then d = d_model); `--from-layer` starts from the model's particles
 * at that snapshot (0..L, L = the final stream) of the prompt (then n = its tokens). JSON with one
 * value per time step (t = 0 included):
 *   {n, d, beta, dynamics, integrator, delta, times, clusters, clusteredFraction,
 *    minInnerProduct, meanInnerProduct, energy}
 */
import { paramsFromModel, simulate } from '../engine/analysis/particles';
import { initBackend } from '../engine/backend';
import { TransformerModel } from '../engine/model/model';
import type { SimulationParams } from '../protocol/particles';
import { backendOption, parse, tokenList } from './args';
import { headArgument } from './circuits';
import { printJson, UsageError } from './output';
import { numberOption } from './particles';

export const DEFAULT_SIMULATION_DELTA = 1e-3;

/** A whole-number option ≥ 0 (or the fallback when absent). */
function integerOption(value: string | boolean | undefined, name: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const parsed = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed)) throw new UsageError(`--${name} must be a whole number, got "${String(value)}"`);
  return parsed;
}

function required<T>(value: T | undefined, name: string, hint = ''): T {
  if (value === undefined) throw new UsageError(`--${name} is required${hint}`);
  return value;
}

function choice<T extends string>(value: string | boolean | undefined, name: string, options: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!options.includes(value as T)) throw new UsageError(`--${name} must be one of ${options.join(', ')}, got "${String(value)}"`);
  return value as T;
}

export async function simulateCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    n: { type: 'string' },
    d: { type: 'string' },
    beta: { type: 'string' },
    t: { type: 'string' },
    dt: { type: 'string' },
    init: { type: 'string' },
    dynamics: { type: 'string' },
    integrator: { type: 'string' },
    delta: { type: 'string' },
    seed: { type: 'string' },
    model: { type: 'string' },
    head: { type: 'string' },
    'from-layer': { type: 'string' },
    prompt: { type: 'string' },
    tokens: { type: 'string' },
    backend: { type: 'string' },
  });
  if (positionals.length) throw new UsageError(`simulate takes no positional arguments (the model goes in --model), got "${positionals[0]}"`);
  const head = values.head !== undefined ? headArgument(values.head) : undefined;
  const fromLayer = integerOption(values['from-layer'], 'from-layer');
  const modelPath = typeof values.model === 'string' ? values.model : undefined;
  if ((head !== undefined || fromLayer !== undefined) && modelPath === undefined) throw new UsageError('--head and --from-layer need --model');
  if (modelPath !== undefined && head === undefined && fromLayer === undefined) throw new UsageError('--model needs --head L.H or --from-layer L');
  const hasPrompt = values.prompt !== undefined || values.tokens !== undefined;
  if (fromLayer !== undefined && (values.prompt === undefined) === (values.tokens === undefined)) throw new UsageError('--from-layer needs exactly one of --prompt TEXT or --tokens 1,2,3');
  if (fromLayer === undefined && hasPrompt) throw new UsageError('--prompt and --tokens only go with --from-layer');
  const init = choice(values.init, 'init', ['random', 'orthonormal'] as const, 'random');
  if (fromLayer !== undefined && values.init !== undefined) throw new UsageError('--init and --from-layer both choose the initial points; give one');
  const n = integerOption(values.n, 'n');
  const d = integerOption(values.d, 'd');
  if (fromLayer !== undefined && n !== undefined) throw new UsageError('--n comes from the prompt with --from-layer; leave it out');

  const params: SimulationParams = {
    n: fromLayer !== undefined ? 1 : required(n, 'n'),
    d: modelPath !== undefined ? (d ?? 2) : required(d, 'd'),
    beta: required(values.beta === undefined ? undefined : numberOption(values.beta, 'beta', 0), 'beta'),
    t: required(values.t === undefined ? undefined : numberOption(values.t, 't', 0), 't', ' (the time horizon)'),
    dt: required(values.dt === undefined ? undefined : numberOption(values.dt, 'dt', 0), 'dt', ' (the step)'),
    dynamics: choice(values.dynamics, 'dynamics', ['sa', 'usa'] as const, 'sa'),
    integrator: choice(values.integrator, 'integrator', ['euler', 'rk4'] as const, 'euler'),
    delta: numberOption(values.delta, 'delta', DEFAULT_SIMULATION_DELTA),
    seed: integerOption(values.seed, 'seed', 0)!,
    init,
    frames: 1,
  };
  const backend = backendOption(values.backend);

  let run: SimulationParams = params;
  if (modelPath !== undefined) {
    await initBackend(backend);
    const model = await TransformerModel.load(modelPath);
    try {
      if (d !== undefined && d !== model.spec.dModel) throw new UsageError(`--d must be the model's d_model (${model.spec.dModel}) with --model, got ${d}; leave it out`);
      const tokens = fromLayer === undefined ? undefined : typeof values.tokens === 'string' ? tokenList(values.tokens) : model.tokenize(values.prompt as string).ids;
      run = await paramsFromModel(model, params, { head, fromLayer, tokens });
    } finally {
      await model.dispose();
    }
  }
  const result = await simulate(run);
  printJson({
    n: run.n,
    d: run.d,
    beta: run.beta,
    dynamics: run.dynamics,
    integrator: run.integrator,
    delta: run.delta,
    times: result.times,
    clusters: result.clusters,
    clusteredFraction: result.clusteredFraction,
    minInnerProduct: result.minInnerProduct,
    meanInnerProduct: result.meanInnerProduct,
    energy: result.energy,
  });
}
