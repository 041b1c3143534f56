/**
 * Extension entry point: creates the model session (which owns the engine process), the panel,
 * the model editor, the editor overlay and the status bar, and registers the commands. Everything
 * is owned by the extension context and disposed on deactivate.
 */
import * as vscode from 'vscode';
import type { CircuitInspectorApi } from './api';
import { registerAnalyzeSelection } from './commands/analyzeSelection';
import { registerExperiments } from './commands/experiments';
import { registerExplainHead } from './commands/explainHead';
import { registerFindInductionHeads } from './commands/findInductionHeads';
import { registerInspectModel } from './commands/inspectModel';
import { registerInterventions } from './commands/interventions';
import { registerParticles } from './commands/particles';
import { registerShowComposition } from './commands/showComposition';
import { AttentionOverlay } from './editor/attentionOverlay';
import { ModelSession } from './host/session';
import { StatusBar } from './host/statusBar';
import { InspectorPanel } from './panel/inspectorPanel';
import { MODEL_EDITOR_VIEW_TYPE, ModelEditorProvider } from './panel/modelEditor';
import type { ToWebview } from './protocol/webview';

export function activate(context: vscode.ExtensionContext): CircuitInspectorApi {
  const panelLog: ToWebview[] = [];
  const log = (message: ToWebview) => panelLog.push(message);
  const session = new ModelSession(context.asAbsolutePath('dist/engine.js'));
  const panel = new InspectorPanel(context.extensionUri, session, log);
  const overlay = new AttentionOverlay(session);
  context.subscriptions.push(session, panel, overlay, new StatusBar(session));

  context.subscriptions.push(
    registerInspectModel(session, panel),
    registerAnalyzeSelection(session, panel),
    registerFindInductionHeads(session, panel),
    registerShowComposition(session, panel),
    registerExplainHead(session, panel),
    registerInterventions(session, panel),
    registerExperiments(session, panel),
    registerParticles(session, panel),
    vscode.commands.registerCommand('circuitInspector.showPanel', () => void panel.show()),
    vscode.commands.registerCommand('circuitInspector.clearAttention', () => overlay.clear()),
    vscode.commands.registerCommand('circuitInspector.restartEngine', async () => {
      const lastModel = session.lastModelPath;
      session.restartEngine();
      if (lastModel) await session.load(vscode.Uri.file(lastModel));
    }),
    vscode.commands.registerCommand('circuitInspector.internal.hoverToken', (index: number | null) => overlay.highlightToken(index)),
    vscode.window.registerCustomEditorProvider(MODEL_EDITOR_VIEW_TYPE, new ModelEditorProvider(context.extensionUri, session, log), {
      supportsMultipleEditorsPerDocument: true,
    }),
    session.onDidFail(({ message, notify }) => {
      if (notify) void vscode.window.showErrorMessage(`Circuit Inspector: ${message}`);
    }),
  );

  return {
    panelLog,
    get modelPath() {
      return session.model?.path;
    },
  };
}

export function deactivate(): void {
  // Everything, the engine process included, is disposed through context.subscriptions.
}
