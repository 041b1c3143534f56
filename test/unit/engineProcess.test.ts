/**
 * The engine process the extension forks (dist/engine.js): it answers typed requests, reports
 * user errors as messages and keeps running, and its results match the reference implementation.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EngineMessage, EngineRequestBody, RunResult } from '../../src/protocol/engine';
import { maxAbsDiff, modelDir, readReference } from './helpers/fixtures';

const ENGINE = path.join(__dirname, '..', '..', 'dist', 'engine.js');

/** Minimal client: one promise per request id. */
class EngineClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error & { code?: string }) => void }>();
  readonly progress: string[] = [];
  readonly ready: Promise<void>;

  constructor(private readonly child: ChildProcess) {
    this.ready = new Promise((resolve) => {
      child.on('message', (message: EngineMessage) => {
        if (message.type === 'ready') return resolve();
        if (message.type === 'progress') return void this.progress.push(message.message);
        const waiting = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.type === 'result') waiting?.resolve(message.result);
        else waiting?.reject(Object.assign(new Error(message.message), { code: message.code }));
      });
    });
  }

  request<T>(request: EngineRequestBody): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...request, id });
    });
  }
}

describe('engine process', { skip: existsSync(ENGINE) ? false : 'dist/engine.js not built (npm run build)' }, () => {
  let child: ChildProcess;
  let engine: EngineClient;
  before(async () => {
    child = fork(ENGINE, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    engine = new EngineClient(child);
    await engine.ready;
  });
  after(() => child.kill());

  it('loads a model with progress and runs a prompt like transformers', async () => {
    assert.deepEqual(await engine.request({ type: 'init', backend: 'wasm' }), { backend: 'wasm' });
    const info = await engine.request<{ architecture: string; layers: number }>({ type: 'load', path: modelDir('gpt2') });
    assert.equal(info.architecture, 'gpt2');
    assert.ok(engine.progress.some((line) => /reading tensors/.test(line)));

    const reference = readReference('gpt2').cases.find((c) => c.text !== undefined)!;
    const result = await engine.request<RunResult>({ type: 'run', prompt: reference.text!, patterns: true });
    assert.deepEqual(result.tokens, reference.tokens);
    assert.ok(result.lastLogits instanceof Float32Array, 'logits travel as a typed array');
    assert.ok(maxAbsDiff(result.lastLogits, reference.logits[reference.logits.length - 1]!) <= 1e-4);
    assert.ok(maxAbsDiff(result.patterns![1]!, reference.attentions[1]!) <= 1e-5);
    assert.equal(result.offsets!.length, reference.tokens.length);
  });

  it('answers bad input with an error message and keeps serving', async () => {
    await assert.rejects(engine.request({ type: 'load', path: path.join(modelDir('gpt2'), 'missing.safetensors') }), (e: Error & { code?: string }) => e.code === 'FILE_NOT_FOUND');
    await assert.rejects(engine.request({ type: 'run', tokens: [1, 999], patterns: false }), (e: Error & { code?: string }) => e.code === 'BAD_PROMPT' || e.code === 'BAD_ARGUMENT');
    await assert.rejects(engine.request({ type: 'init', backend: 'quantum' }), (e: Error & { code?: string }) => e.code === 'BAD_ARGUMENT');
    assert.equal(child.exitCode, null, 'the engine is still running');
    const info = await engine.request<{ architecture: string }>({ type: 'load', path: modelDir('qwen2') });
    assert.equal(info.architecture, 'qwen2');
  });
});
