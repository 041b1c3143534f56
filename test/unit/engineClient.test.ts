/**
 * The host's engine client against the real engine process (dist/engine.js): requests and
 * progress, cancellation, and a crash that fails pending requests, reports once, and recovers on
 * the next request.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { EngineClient, EngineRequestError } from '../../src/host/engineClient';
import type { RunResult } from '../../src/protocol/engine';
import { modelDir } from './helpers/fixtures';

const ENGINE = path.join(__dirname, '..', '..', 'dist', 'engine.js');

/** The client's child process, to simulate a crash from outside. */
function childOf(client: EngineClient): ChildProcess {
  return (client as unknown as { child: ChildProcess }).child;
}

describe('engine client', { skip: existsSync(ENGINE) ? false : 'dist/engine.js not built (npm run build)' }, () => {
  it('starts the engine on first use and reports load progress', async () => {
    const client = new EngineClient(ENGINE);
    try {
      assert.equal(client.running, false);
      await client.request({ type: 'init', backend: 'wasm' });
      assert.equal(client.running, true);
      const progress: number[] = [];
      const info = await client.request<{ layers: number }>({ type: 'load', path: modelDir('pythia') }, { onProgress: (_m, f) => progress.push(f) });
      assert.equal(info.layers, 2);
      assert.ok(progress.length > 3 && progress.at(-1) === 1, `progress ${progress}`);
      const run = await client.request<RunResult>({ type: 'run', tokens: [1, 2, 3], patterns: false });
      assert.equal(run.tokens.length, 3);
    } finally {
      client.dispose();
    }
  });

  it('an aborted request rejects with CANCELLED and the engine keeps serving', async () => {
    const client = new EngineClient(ENGINE);
    try {
      await client.request({ type: 'init', backend: 'wasm' });
      const controller = new AbortController();
      const loading = client.request({ type: 'load', path: modelDir('gpt2') }, { signal: controller.signal });
      controller.abort();
      await assert.rejects(loading, (e: EngineRequestError) => e.code === 'CANCELLED');
      const info = await client.request<{ architecture: string }>({ type: 'load', path: modelDir('gpt2') });
      assert.equal(info.architecture, 'gpt2');
    } finally {
      client.dispose();
    }
  });

  it('cancelling a load in flight stops it in the engine and keeps the previous model', async () => {
    const client = new EngineClient(ENGINE);
    try {
      await client.request({ type: 'init', backend: 'wasm' });
      await client.request({ type: 'load', path: modelDir('qwen2') });
      const controller = new AbortController();
      // Abort on the first progress report: the request is then certainly in the engine.
      const loading = client.request({ type: 'load', path: modelDir('llama') }, { signal: controller.signal, onProgress: () => controller.abort() });
      await assert.rejects(loading, (e: EngineRequestError) => e.code === 'CANCELLED');
      const info = await client.request<{ architecture: string }>({ type: 'info' });
      assert.equal(info.architecture, 'qwen2');
    } finally {
      client.dispose();
    }
  });

  it('a crash fails pending requests, reports once, and the next request starts a fresh engine', async () => {
    const crashes: string[] = [];
    const client = new EngineClient(ENGINE, (reason) => crashes.push(reason));
    try {
      await client.request({ type: 'init', backend: 'wasm' });
      await client.request({ type: 'load', path: modelDir('llama') });
      const pending = client.request({ type: 'run', tokens: Array.from({ length: 60 }, (_, i) => i), patterns: true });
      childOf(client).kill('SIGKILL');
      await assert.rejects(pending, (e: EngineRequestError) => e.code === 'CRASHED');
      assert.equal(crashes.length, 1);
      assert.match(crashes[0]!, /SIGKILL/);
      await assert.rejects(client.request({ type: 'info' }), /no model is loaded/);
      assert.equal(client.running, true, 'a new engine answered');
    } finally {
      client.dispose();
    }
  });
});
