/**
 * Circuit Inspector: Show Particle View — opens the panel's Particles tab: the tokens of the
 * analyzed prompt as particles on the sphere, layer by layer, and the paper's dynamics simulated
 * beside them (Geshkovski et al. 2023).
 */
import * as vscode from 'vscode';
import type { ModelSession } from '../host/session';
import type { InspectorPanel } from '../panel/inspectorPanel';
import { ensureModel } from './ensureModel';

export function registerParticles(session: ModelSession, panel: InspectorPanel): vscode.Disposable {
  return vscode.commands.registerCommand('circuitInspector.showParticles', async () => {
    if (!(await ensureModel(session, panel, 'see its tokens as particles'))) return;
    panel.show().showTab('particles');
    if (!session.lastRun) void vscode.window.showInformationMessage('Run a prompt (or Analyze Selection) to see its tokens as particles; the simulation works without one.');
  });
}
