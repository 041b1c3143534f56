/**
 * The engine process: forked by the extension host so model loading and forward passes never run
 * on the host's thread, and a native-kernel crash or an out-of-memory model cannot take VS Code
 * down. It answers EngineRequests (src/protocol/engine.ts) and never exits on bad input.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { EngineMessage, EngineRequest, RunResult } from '../protocol/engine';
import { initBackend, type BackendChoice } from './backend';
import { EngineError, isEngineError } from './errors';
import { HOOK } from './model/hooks';
import { TransformerModel } from './model/model';

let model: TransformerModel | undefined;
const cancellers = new Map<number, AbortController>();

function send(message: EngineMessage): void {
  process.send?.(message);
}

function requireModel(): TransformerModel {
  if (!model) throw new EngineError('BAD_ARGUMENT', 'no model is loaded');
  return model;
}

async function runPrompt(request: Extract<EngineRequest, { type: 'run' }>, signal: AbortSignal): Promise<RunResult> {
  const current = requireModel();
  const encoded = request.prompt !== undefined ? current.tokenize(request.prompt) : undefined;
  const tokens = encoded?.ids ?? [...(request.tokens ?? [])];
  const names = request.patterns ? Array.from({ length: current.spec.nLayers }, (_, l) => HOOK.pattern(l)) : [];
  const result = await current.runWithCache(tokens, names, { logits: 'last', signal });
  try {
    const patterns = [];
    for (const name of names) patterns.push((await result.cache.get(name)!.data()) as Float32Array);
    return {
      tokens,
      tokenStrings: current.tokenizer ? tokens.map((id) => current.tokenizer!.tokenString(id)) : undefined,
      offsets: encoded?.offsets,
      lastLogits: (await result.logits!.data()) as Float32Array,
      loss: result.loss ? (await tf.mean(result.loss).data())[0]! : null,
      patterns: request.patterns ? patterns : undefined,
    };
  } finally {
    result.dispose();
  }
}

async function handle(request: EngineRequest, signal: AbortSignal): Promise<unknown> {
  switch (request.type) {
    case 'init':
      return { backend: await initBackend(request.backend as BackendChoice) };
    case 'load': {
      await model?.dispose();
      model = undefined;
      model = await TransformerModel.load(request.path, {
        signal,
        memoryLimitBytes: request.memoryLimitMB === undefined ? undefined : request.memoryLimitMB * 2 ** 20,
        onProgress: (p) => send({ type: 'progress', id: request.id, message: p.message, fraction: p.fraction }),
      });
      return model.info();
    }
    case 'info':
      return requireModel().info();
    case 'run':
      return runPrompt(request, signal);
    case 'cancel':
      cancellers.get(request.target)?.abort();
      return { cancelled: cancellers.has(request.target) };
  }
}

process.on('message', (request: EngineRequest) => {
  const controller = new AbortController();
  cancellers.set(request.id, controller);
  handle(request, controller.signal)
    .then((result) => send({ type: 'result', id: request.id, result }))
    .catch((error: unknown) =>
      send({
        type: 'error',
        id: request.id,
        code: isEngineError(error) ? error.code : 'INTERNAL',
        message: error instanceof Error ? error.message : String(error),
      }),
    )
    .finally(() => cancellers.delete(request.id));
});

send({ type: 'ready' });
