/**
 * The inspector panel: one webview panel beside the editor, created on demand, revealed when it
 * exists, and revived after a window reload by the serializer (the webview restores its own state;
 * the host reloads the model it showed).
 */
import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import type { ModelSession } from '../host/session';
import type { ToWebview, WebviewState } from '../protocol/webview';
import { InspectorView } from './inspectorView';

export const PANEL_VIEW_TYPE = 'circuitInspector.panel';

export class InspectorPanel extends Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private view: InspectorView | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly session: ModelSession,
    private readonly log: (message: ToWebview) => void,
  ) {
    super();
    this.register(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: WebviewState | undefined) => {
          this.attach(panel);
          if (state?.modelPath && !session.model) await session.load(vscode.Uri.file(state.modelPath), { notify: false });
          // The webview's saved head wins over the fresh session's default.
          if (state?.layer !== undefined && state.head !== undefined) session.selectHead(state.layer, state.head);
        },
      }),
    );
    this.register({ dispose: () => this.panel?.dispose() });
  }

  /** Shows the panel beside the active editor (creating it if needed), without stealing focus. */
  show(): InspectorView {
    if (this.panel && this.view) {
      this.panel.reveal(undefined, true);
      return this.view;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'Circuit Inspector',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      // No retainContextWhenHidden: the webview keeps its state with setState and the host replays
      // the session on `ready`, which costs far less memory than a hidden live webview.
      { enableScripts: true },
    );
    return this.attach(panel);
  }

  private attach(panel: vscode.WebviewPanel): InspectorView {
    this.view?.dispose();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'circuit.svg');
    this.panel = panel;
    this.view = new InspectorView(panel.webview, this.extensionUri, this.session, this.log);
    const view = this.view;
    panel.onDidChangeViewState(({ webviewPanel }) => {
      if (!webviewPanel.visible) view.hidden();
    });
    panel.onDidDispose(() => {
      view.dispose();
      if (this.panel === panel) {
        this.panel = undefined;
        this.view = undefined;
      }
    });
    return view;
  }
}
