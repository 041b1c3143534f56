/** The extension's settings (contributed in package.json under `circuitInspector.*`). */
import * as vscode from 'vscode';

export interface Settings {
  readonly backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  readonly defaultPrompt: string;
  readonly maxTokens: number;
  /** 0 = no limit. */
  readonly memoryLimitMB: number;
  /** Repeated random tokens for the head detectors: length of the random half, batch, seed. */
  readonly randomRepeats: { readonly length: number; readonly batch: number; readonly seed: number };
}

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration('circuitInspector');
  return {
    backend: config.get<Settings['backend']>('backend', 'auto'),
    defaultPrompt: config.get<string>('defaultPrompt', ''),
    maxTokens: config.get<number>('maxTokens', 512),
    memoryLimitMB: config.get<number>('memoryLimitMB', 4096),
    randomRepeats: {
      length: config.get<number>('detectors.randomLength', 50),
      batch: config.get<number>('detectors.batch', 4),
      seed: config.get<number>('detectors.seed', 0),
    },
  };
}
