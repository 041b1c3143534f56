/**
 * For commands that need a loaded model: without one, offer the sample model the extension ships
 * (samples/code-2l, a two-layer attention-only code model with an induction circuit) or to pick
 * one, and load it (in the panel).
 */
import * as vscode from 'vscode';
import type { ModelSession } from '../host/session';
import type { InspectorPanel } from '../panel/inspectorPanel';
import { pickModel } from './inspectModel';

const EXTENSION_ID = 'circuit-inspector.circuit-inspector';
const SAMPLE_MODEL = ['samples', 'code-2l'] as const;
const USE_SAMPLE = 'Use Sample Model';
const INSPECT = 'Inspect Model…';

/** The bundled sample model's folder; undefined when the extension is not found (never in practice). */
export function sampleModelUri(): vscode.Uri | undefined {
  const root = vscode.extensions.getExtension(EXTENSION_ID)?.extensionUri;
  return root ? vscode.Uri.joinPath(root, ...SAMPLE_MODEL) : undefined;
}

/** True when a model is loaded (already, or now). `purpose` completes "Load a model to …". */
export async function ensureModel(session: ModelSession, panel: InspectorPanel, purpose: string): Promise<boolean> {
  if (session.model) return true;
  const sample = sampleModelUri();
  const choices = sample ? [USE_SAMPLE, INSPECT] : [INSPECT];
  const choice = await vscode.window.showInformationMessage(`Load a model to ${purpose}.`, ...choices);
  const uri = choice === USE_SAMPLE ? sample : choice === INSPECT ? await pickModel() : undefined;
  if (!uri) return false;
  panel.show();
  return session.load(uri);
}
