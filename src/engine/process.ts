/**
 * The engine process: forked by the extension host so model loading and forward passes never run
 * on the host's thread, and a native-kernel crash or an out-of-memory model cannot take VS Code
 * down. It answers EngineRequests (src/protocol/engine.ts) and never exits on bad input.
 */
import type { EngineMessage, EngineRequest } from '../protocol/engine';
import { EngineError, isEngineError } from './errors';
import { EngineService } from './service';

const service = new EngineService();
/** Cancellation of queued and in-flight requests, by request id. */
const cancellers = new Map<number, AbortController>();
/** Requests run one at a time, in arrival order: a run never sees a model half-replaced by a load. */
let queue: Promise<unknown> = Promise.resolve();

function send(message: EngineMessage): void {
  process.send?.(message);
}

process.on('message', (request: EngineRequest) => {
  if (request.type === 'cancel') {
    cancellers.get(request.target)?.abort();
    send({ type: 'result', id: request.id, result: { cancelled: cancellers.has(request.target) } });
    return;
  }
  const controller = new AbortController();
  cancellers.set(request.id, controller);
  const progress = (p: { message: string; fraction: number }) => send({ type: 'progress', id: request.id, message: p.message, fraction: p.fraction });
  queue = queue
    .then(() => {
      if (controller.signal.aborted) throw new EngineError('CANCELLED', 'the request was cancelled before it started');
      return service.handle(request, controller.signal, progress);
    })
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

process.on('disconnect', () => {
  // The host went away: free the model and exit instead of lingering as an orphan.
  void service.dispose().finally(() => process.exit(0));
});

send({ type: 'ready' });
