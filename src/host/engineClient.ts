/**
 * The extension host's side of the engine process: forks `dist/engine.js` on first use, numbers
 * requests, routes progress and replies, forwards cancellation, and notices crashes. Imports
 * nothing from `vscode`, so it is tested directly against the real engine process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { EngineMessage, EngineRequestBody } from '../protocol/engine';

/** A request the engine answered with an error: `code` is the engine's error code. */
export class EngineRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  readonly onProgress?: (message: string, fraction: number) => void;
  /** Aborting sends a cancel request; the promise then rejects with code CANCELLED. */
  readonly signal?: AbortSignal;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (message: string, fraction: number) => void;
}

export class EngineClient {
  private child: ChildProcess | undefined;
  private starting: Promise<ChildProcess> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;

  constructor(
    private readonly enginePath: string,
    /** Called when the engine process dies unexpectedly (not on dispose or restart). */
    private readonly onCrash: (reason: string) => void = () => undefined,
  ) {}

  /** Whether an engine process is running now. */
  get running(): boolean {
    return this.child !== undefined;
  }

  request<T>(body: EngineRequestBody, options: RequestOptions = {}): Promise<T> {
    if (this.disposed) return Promise.reject(new EngineRequestError('DISPOSED', 'the engine has been shut down'));
    if (options.signal?.aborted) return Promise.reject(new EngineRequestError('CANCELLED', 'cancelled'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, onProgress: options.onProgress });
      let sent = false;
      const fail = (error: Error) => {
        if (this.pending.delete(id)) reject(error);
      };
      const cancel = () => {
        // Not sent yet: never send it. Sent: the engine stops it and answers CANCELLED.
        if (!sent) return fail(new EngineRequestError('CANCELLED', 'cancelled'));
        try {
          this.child?.send({ type: 'cancel', id: this.nextId++, target: id });
        } catch {
          // The engine is gone; its exit handler fails this request.
        }
      };
      options.signal?.addEventListener('abort', cancel, { once: true });
      this.ensureStarted().then((child) => {
        if (!this.pending.has(id)) return;
        sent = true;
        // A child that just died fails the send; its exit handler reports the crash itself.
        const lost = (error: Error | null) => error && fail(new EngineRequestError('CRASHED', `the engine process is gone: ${error.message}`));
        try {
          child.send({ ...body, id }, lost);
        } catch (error) {
          lost(error as Error);
        }
      }, fail);
    });
  }

  /** Kills the engine (if running) and fails what was pending; the next request starts a new one. */
  restart(): void {
    this.stop('the engine was restarted');
  }

  dispose(): void {
    this.disposed = true;
    this.stop('the engine was shut down');
  }

  private stop(reason: string): void {
    const child = this.child;
    this.child = undefined;
    this.starting = undefined;
    if (child) {
      child.removeAllListeners('exit');
      child.kill();
    }
    this.failPending('STOPPED', reason);
  }

  private failPending(code: string, message: string): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    pending.forEach((p) => p.reject(new EngineRequestError(code, message)));
  }

  private ensureStarted(): Promise<ChildProcess> {
    if (this.child) return Promise.resolve(this.child);
    this.starting ??= new Promise<ChildProcess>((resolve, reject) => {
      // Advanced serialization: typed arrays cross the process boundary as typed arrays.
      const child = fork(this.enginePath, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.on('message', (message: EngineMessage) => {
        if (message.type === 'ready') {
          this.child = child;
          resolve(child);
          return;
        }
        this.route(message);
      });
      child.once('error', (error) => reject(new EngineRequestError('START_FAILED', `the engine process could not start: ${error.message}`)));
      child.once('exit', (code, signal) => {
        const reason = signal ? `killed by ${signal}` : `exited with code ${code}`;
        const wasReady = this.child === child;
        this.child = undefined;
        this.starting = undefined;
        reject(new EngineRequestError('CRASHED', `the engine process ${reason} while starting`));
        this.failPending('CRASHED', `the engine process ${reason}`);
        if (wasReady) this.onCrash(`the engine process ${reason}`);
      });
    });
    return this.starting;
  }

  private route(message: EngineMessage): void {
    if (message.type === 'ready') return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'progress') {
      pending.onProgress?.(message.message, message.fraction);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'result') pending.resolve(message.result);
    else pending.reject(new EngineRequestError(message.code, message.message));
  }
}
