/**
 * Choosing the compute backend. `auto` prefers native libtensorflow kernels
 * (`@tensorflow/tfjs-node`, an optional dependency that cannot install everywhere), then
 * WebAssembly with SIMD (on every core: wasmThreads.ts), then plain JavaScript, and always
 * reports which one it got.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from './errors';
import { restoreLegacyUtil } from './tfjsNodeCompat';
import { startWasmBackend } from './wasmThreads';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** Why each backend that failed to load did, for `auto`'s report and for errors. */
const failures = new Map<BackendName, string>();
/** The backend we activated (tf.getBackend() would itself initialise one if none was). */
let active: BackendName | undefined;
/** Threads the active backend computes on, where it says (wasm: XNNPACK's pool). */
let threads: number | undefined;

/** Loads a backend's package (registering its kernels with tfjs-core) and activates it. */
async function start(name: BackendName): Promise<void> {
  switch (name) {
    case 'tensorflow':
      // libtensorflow logs to stderr at start-up (CPU features, oneDNN): warnings and errors only.
      process.env.TF_CPP_MIN_LOG_LEVEL ??= '1';
      restoreLegacyUtil();
      // Loaded by name at run time: it is optional and its native binding may be missing.
      require('@tensorflow/tfjs-node');
      break;
    case 'wasm':
      threads = await startWasmBackend();
      return;
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      break;
  }
  if (!(await tf.setBackend(name))) throw new Error('initialisation failed');
  await tf.ready();
}

async function tryBackend(name: BackendName): Promise<boolean> {
  // Production mode: no debug checks, and no console banner suggesting another backend.
  tf.env().set('PROD', true);
  try {
    await start(name);
    return true;
  } catch (error) {
    failures.set(name, error instanceof Error ? error.message.split('\n')[0]! : String(error));
    return false;
  }
}

/** Activates the chosen backend (or the best available for `auto`); returns the one in use. */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendName> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new EngineError('BAD_ARGUMENT', `unknown backend "${choice}" (choose one of ${BACKEND_CHOICES.join(', ')})`);
  }
  const candidates: BackendName[] = choice === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [choice];
  for (const name of candidates) {
    if (active === name || (await tryBackend(name))) {
      active = name;
      return name;
    }
  }
  const reasons = candidates.map((name) => `${name}: ${failures.get(name) ?? 'unknown error'}`).join('; ');
  throw new EngineError('BACKEND_UNAVAILABLE', `backend "${choice}" is not available (${reasons})`);
}

/** Why a backend could not be used, if it was tried and failed. */
export function backendFailure(name: BackendName): string | undefined {
  return failures.get(name);
}

/** Threads of the wasm backend's pool (1: single-threaded build); undefined for other backends. */
export function wasmThreads(): number | undefined {
  return active === 'wasm' ? threads : undefined;
}

/** The backend now in use, or undefined before initBackend. */
export function currentBackend(): BackendName | undefined {
  return active;
}
