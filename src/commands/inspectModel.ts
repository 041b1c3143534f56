/** Circuit Inspector: Inspect Model — from the explorer's context menu, or the palette with a file picker. */
import * as vscode from 'vscode';
import type { ModelSession } from '../host/session';
import type { InspectorPanel } from '../panel/inspectorPanel';

export async function pickModel(): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: 'Inspect Model',
    openLabel: 'Inspect',
    canSelectMany: false,
    canSelectFolders: true,
    filters: { 'Model weights': ['safetensors', 'gguf', 'json'] },
  });
  return picked?.[0];
}

export function registerInspectModel(session: ModelSession, panel: InspectorPanel): vscode.Disposable {
  return vscode.commands.registerCommand('circuitInspector.inspectModel', async (uri?: vscode.Uri) => {
    const target = uri instanceof vscode.Uri ? uri : await pickModel();
    if (!target) return;
    panel.show();
    await session.load(target);
  });
}
