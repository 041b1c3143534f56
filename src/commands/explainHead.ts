/**
 * Circuit Inspector: Explain Head… — a quick pick of every head, labeled with its scores when they
 * are known ("prev 0.91 · ind 0.02 · copy 0.70"); the picked head becomes the selected head and the
 * panel opens on its QK / OV circuits (running the default prompt first when nothing ran yet, since
 * the circuits are shown on a prompt's tokens).
 */
import * as vscode from 'vscode';
import { readSettings } from '../config';
import type { ModelSession } from '../host/session';
import type { InspectorPanel } from '../panel/inspectorPanel';
import { ensureModel } from './ensureModel';
import { headName, headScoreLabel } from './headSummary';

interface HeadItem extends vscode.QuickPickItem {
  readonly layer: number;
  readonly head: number;
}

export function registerExplainHead(session: ModelSession, panel: InspectorPanel): vscode.Disposable {
  return vscode.commands.registerCommand('circuitInspector.explainHead', async () => {
    if (!(await ensureModel(session, panel, 'explain its heads'))) return;
    const card = session.model?.card;
    if (!card) return;
    const picked = await pickHead(session, card.layers, card.heads);
    if (!picked) return;
    session.selectHead(picked.layer, picked.head);
    const view = panel.show();
    view.showTab('circuits');
    if (!session.lastRun) {
      const prompt = readSettings().defaultPrompt;
      if (prompt) {
        view.setPrompt(prompt);
        await session.run(prompt, undefined, { notify: true });
      }
    }
  });
}

function pickHead(session: ModelSession, layers: number, heads: number): Promise<HeadItem | undefined> {
  const scores = session.knownHeadScores;
  const items: HeadItem[] = [];
  for (let layer = 0; layer < layers; layer++) {
    for (let head = 0; head < heads; head++) items.push({ label: headName(layer, head), description: headScoreLabel(scores, layer, head), layer, head });
  }
  const quickPick = vscode.window.createQuickPick<HeadItem>();
  quickPick.title = 'Explain Head';
  quickPick.placeholder = scores
    ? `Pick a head · scores on ${scores.source === 'random' ? 'repeated random tokens' : 'the last prompt'}: previous-token, induction, OV copying`
    : 'Pick a head (run “Find Induction Heads” to see each head’s scores here)';
  quickPick.matchOnDescription = true;
  quickPick.items = items;
  const current = items.find((i) => i.layer === session.selectedHead.layer && i.head === session.selectedHead.head);
  if (current) quickPick.activeItems = [current];
  return new Promise<HeadItem | undefined>((resolve) => {
    let chosen: HeadItem | undefined;
    quickPick.onDidAccept(() => {
      chosen = quickPick.selectedItems[0] ?? quickPick.activeItems[0];
      quickPick.hide();
    });
    quickPick.onDidHide(() => {
      quickPick.dispose();
      resolve(chosen);
    });
    quickPick.show();
  });
}
