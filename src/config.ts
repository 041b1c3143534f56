/** The extension's settings (contributed in package.json under `circuitInspector.*`). */
import * as vscode from 'vscode';

export interface Settings {
  readonly backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  readonly defaultPrompt: string;
  readonly maxTokens: number;
  /** 0 = no limit. */
  readonly memoryLimitMB: number;
}

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration('circuitInspector');
  return {
    backend: config.get<Settings['backend']>('backend', 'auto'),
    defaultPrompt: config.get<string>('defaultPrompt', ''),
    maxTokens: config.get<number>('maxTokens', 512),
    memoryLimitMB: config.get<number>('memoryLimitMB', 4096),
  };
}
