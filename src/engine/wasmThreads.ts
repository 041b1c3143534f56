/**
 * The WebAssembly backend on every core under Node. tfjs-backend-wasm ships a threaded SIMD build
 * (XNNPACK kernels on a pthread pool of Web Workers) but never uses it in Node, for three reasons,
 * each worked around here:
 *   1. Its WASM_HAS_MULTITHREAD_SUPPORT flag is hard-wired false in Node: we set it.
 *   2. It starts each pthread worker from a `blob:` URL made from the worker script bundled in its
 *      JavaScript, and Node's worker_threads only start files. URL.createObjectURL is answered, for
 *      that one script (the only Blob of type application/javascript it makes), with a file holding
 *      the same script, written once to the temp folder. Inside each worker, the Blob that carries
 *      the main module's code is answered the same way, with the package's own copy of that module.
 *   3. It sizes the pool as half the logical cores ("two hyperthreads per core") and caps any count
 *      asked for at that: a 2-vCPU machine would get one thread. os.cpus() reports twice the cores
 *      while the module starts, then the count we ask for stands (one thread per core, at most
 *      the 8 workers the module pre-starts).
 * Spare workers are ended, the pool's unref'd so they never keep a process alive. Set
 * CIRCUIT_INSPECTOR_WASM_THREADS=1 for the single-threaded build, or =N for N threads.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';

const PACKAGE = '@tensorflow/tfjs-backend-wasm';
const WORKER_MODULE = `${PACKAGE}/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js`;
const MAIN_MODULE = `${PACKAGE}/wasm-out/tfjs-backend-wasm-threaded-simd.js`;

interface WasmPackage {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/** The threads wanted: CIRCUIT_INSPECTOR_WASM_THREADS, else one per core. */
export function wantedWasmThreads(): number {
  const setting = Number(process.env.CIRCUIT_INSPECTOR_WASM_THREADS);
  if (Number.isInteger(setting) && setting >= 1) return setting;
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** The pthread worker script as a file (content-addressed, so concurrent engines agree). */
function workerScriptFile(): string {
  const { wasmWorkerContents } = require(WORKER_MODULE) as { wasmWorkerContents: string };
  const mainModule = require.resolve(MAIN_MODULE);
  // tfjs escapes the script's newlines before making its Blob (its string literal decoded "\n"s).
  const source =
    `${wasmWorkerContents.replace(/\n/g, '\\n')}\n` +
    '// Node: the main module comes as a Blob, which importScripts cannot read; use its file.\n' +
    `URL.createObjectURL = () => ${JSON.stringify(mainModule)};\nURL.revokeObjectURL = () => {};\n`;
  const hash = crypto.createHash('sha256').update(source).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `circuit-inspector-wasm-worker-${hash}.js`);
  if (!fs.existsSync(file)) {
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, source);
    fs.renameSync(partial, file);
  }
  return file;
}

let workerUrlInstalled = false;

function installWorkerUrl(file: string): void {
  if (workerUrlInstalled) return;
  workerUrlInstalled = true;
  const original = URL.createObjectURL.bind(URL);
  // Stays installed: the module may start another worker later (it asks for the URL each time).
  URL.createObjectURL = (object: Blob) => (object instanceof Blob && object.type === 'application/javascript' ? file : original(object));
}

/** Runs `start` while os.cpus() lists every core twice (see point 3 above). */
async function withDoubledCores<T>(start: () => Promise<T>): Promise<T> {
  // The module object itself (an `import * as` namespace is a copy): tfjs calls its cpus().
  const nodeOs = require('node:os') as { cpus: typeof os.cpus };
  const cpus = nodeOs.cpus;
  nodeOs.cpus = () => {
    const real = cpus();
    return [...real, ...real];
  };
  try {
    return await start();
  } finally {
    nodeOs.cpus = cpus;
  }
}

/**
 * The module pre-starts 8 workers (each a V8 isolate, ~17 MB) whatever the pool's size: ends those
 * the pool did not take (the module starts another if it ever needs one), and unrefs the rest.
 */
function trimWorkers(): void {
  const pthread = (tf.backend() as unknown as { wasm?: { PThread?: { unusedWorkers: Worker[]; runningWorkers: Worker[] } } }).wasm?.PThread;
  if (!pthread) return;
  for (const worker of pthread.unusedWorkers.splice(0)) void worker.terminate();
  for (const worker of pthread.runningWorkers) worker.unref();
}

/**
 * Activates the wasm backend, threaded when more than one thread is wanted and the threaded build
 * starts, single-threaded otherwise. Returns the threads XNNPACK really has (1 when unthreaded).
 */
export async function startWasmBackend(): Promise<number> {
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmPackage;
  const threads = wantedWasmThreads();
  if (threads > 1) {
    try {
      installWorkerUrl(workerScriptFile());
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
      wasm.setThreadsCount(threads);
      if (await withDoubledCores(() => tf.setBackend('wasm'))) {
        await tf.ready();
        trimWorkers();
        return wasm.getThreadsCount();
      }
    } catch {
      // fall through to the single-threaded build
    }
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasm.setThreadsCount(1);
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('initialisation failed');
  await tf.ready();
  return 1;
}
