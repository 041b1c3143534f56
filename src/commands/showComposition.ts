/** Circuit Inspector: Show Composition Scores — opens the panel's Composition tab and computes the scores (cancellable progress). */
import * as vscode from 'vscode';
import type { ModelSession } from '../host/session';
import type { InspectorPanel } from '../panel/inspectorPanel';
import { ensureModel } from './ensureModel';

export function registerShowComposition(session: ModelSession, panel: InspectorPanel): vscode.Disposable {
  return vscode.commands.registerCommand('circuitInspector.showComposition', async () => {
    if (!(await ensureModel(session, panel, 'see how its heads compose'))) return;
    panel.show().showTab('composition');
    await session.composition(false, { notify: true });
  });
}
