/**
 * The WebAssembly backend's threaded build under Node (src/engine/wasmThreads.ts): a pool of one
 * thread per core that really computes, results equal to the pure-JavaScript kernels', and no
 * worker left keeping the process alive (the runner would time this file out).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, wasmThreads } from '../../src/engine/backend';
import { wantedWasmThreads } from '../../src/engine/wasmThreads';

const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;

/** CPU ticks of each thread of this process (Linux). */
function threadTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    const fields = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    ticks.set(tid, Number(fields[11]) + Number(fields[12]));
  }
  return ticks;
}

/** Deterministic inputs: a [m, k] · [k, n] product. */
function inputs(m: number, k: number, n: number): [Float32Array, Float32Array] {
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37));
  const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.11) / 16);
  return [a, b];
}

describe('multithreaded WebAssembly backend', { skip: cores < 2 ? 'one core: the single-threaded build is used' : false }, () => {
  before(async () => {
    delete process.env.CIRCUIT_INSPECTOR_WASM_THREADS;
    await initBackend('wasm');
  });

  it('has a pool of one thread per core', () => {
    assert.equal(wantedWasmThreads(), cores);
    // tfjs caps the pool at the 8 workers its module pre-starts.
    assert.equal(wasmThreads(), Math.min(cores, 8));
  });

  it('computes a large matmul on more than one thread', { skip: fs.existsSync('/proc/self/task') ? false : 'needs /proc' }, () => {
    const [a, b] = inputs(512, 768, 1024);
    const x = tf.tensor2d(a, [512, 768]);
    const w = tf.tensor2d(b, [768, 1024]);
    const start = threadTicks();
    for (let i = 0; i < 20; i++) tf.tidy(() => void tf.matMul(x, w).dataSync());
    const end = threadTicks();
    x.dispose();
    w.dispose();
    const used = [...end].map(([tid, t]) => t - (start.get(tid) ?? 0)).sort((p, q) => q - p);
    // The calling thread and at least one pool worker each did a real share of the work (a share
    // only: on a loaded machine the pool's threads steal each other's work).
    assert.ok(used[1]! >= Math.max(3, 0.05 * used[0]!), `per-thread CPU ticks ${used.slice(0, 4).join(', ')}`);
  });

  it('matches the pure-JavaScript kernels', async () => {
    const [a, b] = inputs(96, 200, 72);
    const product = () => tf.tidy(() => tf.softmax(tf.matMul(tf.tensor2d(a, [96, 200]), tf.tensor2d(b, [200, 72]))).dataSync());
    const onWasm = product();
    await initBackend('cpu');
    const onCpu = product();
    let worst = 0;
    onCpu.forEach((value, i) => (worst = Math.max(worst, Math.abs(value - onWasm[i]!))));
    assert.ok(worst <= 1e-6, `max difference ${worst}`);
  });
});
