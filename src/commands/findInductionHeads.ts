/**
 * Circuit Inspector: Find Induction Heads — scores every head of the loaded model on repeated random
 * tokens (cancellable progress), opens the panel's Heads tab ranked by induction score, and names the
 * strongest induction heads.
 */
import * as vscode from 'vscode';
import type { ModelSession } from '../host/session';
import type { InspectorPanel } from '../panel/inspectorPanel';
import { ensureModel } from './ensureModel';
import { inductionSummary } from './headSummary';

export function registerFindInductionHeads(session: ModelSession, panel: InspectorPanel): vscode.Disposable {
  return vscode.commands.registerCommand('circuitInspector.findInductionHeads', async () => {
    if (!(await ensureModel(session, panel, 'find its induction heads'))) return;
    panel.show().showTab('heads');
    const scores = await session.heads('random', { notify: true });
    if (scores) void vscode.window.showInformationMessage(inductionSummary(scores));
  });
}
