/**
 * Circuit Inspector: Analyze Selection — the editor's selection (or the whole document) becomes
 * the prompt; its tokens stay tied to document ranges for the attention overlay.
 */
import * as vscode from 'vscode';
import { readSettings } from '../config';
import type { ModelSession } from '../host/session';
import type { InspectorPanel } from '../panel/inspectorPanel';
import { ensureModel } from './ensureModel';

export function registerAnalyzeSelection(session: ModelSession, panel: InspectorPanel): vscode.Disposable {
  return vscode.commands.registerCommand('circuitInspector.analyzeSelection', async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showWarningMessage('Open a document and select the text to analyze.');
      return;
    }
    if (!(await ensureModel(session, panel, 'analyze the selection with'))) return;
    const document = editor.document;
    const range = editor.selection.isEmpty ? new vscode.Range(0, 0, document.lineCount, 0) : editor.selection;
    const selected = document.getText(range);
    const view = panel.show();
    if (!selected) {
      // Nothing to tie to the document: run the default prompt from the panel instead.
      view.setPrompt(readSettings().defaultPrompt);
      await session.run(readSettings().defaultPrompt);
      return;
    }
    view.setPrompt(selected);
    await session.run(selected, { uri: document.uri, version: document.version, startOffset: document.offsetAt(document.validateRange(range).start) });
  });
}
