/**
 * Connects one inspector webview (the panel, or a custom editor's) to the model session: replays
 * the session's state when the webview says it is ready, forwards session events as messages, and
 * turns the webview's requests into session calls.
 */
import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import type { ModelSession, SessionRun } from '../host/session';
import type { FromWebview, ToWebview } from '../protocol/webview';
import { CODICONS_DIR, inspectorHtml } from './html';

export class InspectorView extends Disposable {
  private ready = false;
  /** Errors posted while the webview was not listening, shown once it is. */
  private readonly queuedErrors: ToWebview[] = [];
  /** The prompt the host last set, replayed whenever the webview (re)loads. */
  private prompt: string | undefined;

  constructor(
    private readonly webview: vscode.Webview,
    extensionUri: vscode.Uri,
    private readonly session: ModelSession,
    /** Every message posted, for the API's panelLog. */
    private readonly log: (message: ToWebview) => void,
  ) {
    super();
    webview.options = {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(extensionUri, 'dist'),
        vscode.Uri.joinPath(extensionUri, 'media'),
        vscode.Uri.joinPath(extensionUri, ...CODICONS_DIR),
      ],
    };
    webview.html = inspectorHtml(webview, extensionUri, nonce());
    this.register(webview.onDidReceiveMessage((message: FromWebview) => void this.receive(message)));
    this.register(session.onDidChangeStatus((status) => this.post({ type: 'status', ...status })));
    this.register(session.onDidLoadModel(() => this.sendModel()));
    this.register(session.onDidRun((run) => this.sendRun(run)));
    this.register(session.onDidMoveCursorToken((index) => this.post({ type: 'cursorToken', index })));
    this.register(session.onDidFail(({ message }) => this.post({ type: 'error', message })));
    this.register(
      session.onDidSelectHead(({ layer, head }) => {
        this.post({ type: 'selectHead', layer, head });
        void this.sendCircuits();
      }),
    );
  }

  /** Prefills the webview's prompt box. */
  setPrompt(text: string): void {
    this.prompt = text;
    this.post({ type: 'prompt', text });
  }

  /**
   * The webview was hidden: without retainContextWhenHidden it is torn down and will reload (and
   * say `ready` again) when shown, so nothing may be posted until then.
   */
  hidden(): void {
    this.ready = false;
  }

  private post(message: ToWebview): void {
    if (!this.ready) {
      // Everything else is replayed from the session on `ready`.
      if (message.type === 'error') this.queuedErrors.push(message);
      return;
    }
    this.log(message);
    void this.webview.postMessage(message);
  }

  private async receive(message: FromWebview): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.replay();
        return;
      case 'run':
        await this.session.run(message.prompt, undefined, { notify: false });
        return;
      case 'cancel':
        this.session.cancel();
        return;
      case 'selectHead':
        this.session.selectHead(message.layer, message.head);
        return;
      case 'hoverToken':
        void vscode.commands.executeCommand('circuitInspector.internal.hoverToken', message.index);
        return;
      case 'tensorStats': {
        const stats = await this.session.tensorStats(message.name);
        if (stats) this.post({ type: 'tensorStats', name: message.name, stats });
        return;
      }
      case 'save':
        await saveExport(message.fileName, message.data);
        return;
    }
  }

  /** Everything the session knows, for a webview that just (re)loaded. */
  private replay(): void {
    this.post({ type: 'status', ...this.session.status });
    if (this.session.model) this.sendModel();
    const prompt = this.prompt ?? this.session.lastRun?.prompt;
    if (prompt !== undefined) this.post({ type: 'prompt', text: prompt });
    if (this.session.lastRun) this.sendRun(this.session.lastRun);
    for (const message of this.queuedErrors.splice(0)) this.post(message);
  }

  private sendModel(): void {
    const model = this.session.model;
    if (!model) return;
    this.post({ type: 'model', path: model.path, card: model.card });
    this.post({ type: 'tensors', tensors: model.tensors });
    const { layer, head } = this.session.selectedHead;
    this.post({ type: 'selectHead', layer, head });
  }

  private sendRun(run: SessionRun): void {
    const { result } = run;
    const card = this.session.model?.card;
    if (!card) return;
    this.post({
      type: 'run',
      runId: run.runId,
      tokens: result.tokens,
      tokenStrings: result.tokenStrings ?? result.tokens.map(String),
      losses: result.losses,
      predictions: result.predictions,
      layers: card.layers,
      heads: card.heads,
    });
    // One message per layer keeps each message small and lets the first layers draw early.
    result.patterns?.forEach((data, layer) => this.post({ type: 'pattern', runId: run.runId, layer, data }));
    void this.sendCircuits();
  }

  private async sendCircuits(): Promise<void> {
    const circuits = await this.session.circuits();
    if (circuits) this.post({ type: 'circuits', circuits });
  }
}

function nonce(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('base64url');
}

async function saveExport(fileName: string, data: string | Uint8Array): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, fileName) : undefined, saveLabel: 'Export' });
  if (!target) return;
  await vscode.workspace.fs.writeFile(target, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  void vscode.window.showInformationMessage(`Exported ${vscode.workspace.asRelativePath(target)}`);
}
