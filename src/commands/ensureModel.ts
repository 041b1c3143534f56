/** For commands that need a loaded model: without one, offer to pick and load one (in the panel). */
import * as vscode from 'vscode';
import type { ModelSession } from '../host/session';
import type { InspectorPanel } from '../panel/inspectorPanel';
import { pickModel } from './inspectModel';

/** True when a model is loaded (already, or now). `purpose` completes "Load a model to …". */
export async function ensureModel(session: ModelSession, panel: InspectorPanel, purpose: string): Promise<boolean> {
  if (session.model) return true;
  const choice = await vscode.window.showInformationMessage(`Load a model to ${purpose}.`, 'Inspect Model…');
  const uri = choice ? await pickModel() : undefined;
  if (!uri) return false;
  panel.show();
  return session.load(uri);
}
