/**
 * Opening a `.safetensors` file with "Circuit Inspector" (Reopen With…) shows the inspector for
 * that model instead of binary noise. The document is read-only: nothing is ever written back.
 */
import * as vscode from 'vscode';
import type { ModelSession } from '../host/session';
import type { ToWebview } from '../protocol/webview';
import { InspectorView } from './inspectorView';

export const MODEL_EDITOR_VIEW_TYPE = 'circuitInspector.modelEditor';

export class ModelEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly session: ModelSession,
    private readonly log: (message: ToWebview) => void,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    const view = new InspectorView(panel.webview, this.extensionUri, this.session, this.log);
    panel.onDidChangeViewState(({ webviewPanel }) => {
      if (!webviewPanel.visible) view.hidden();
    });
    panel.onDidDispose(() => view.dispose());
    if (this.session.model?.path !== document.uri.fsPath) await this.session.load(document.uri);
  }
}
