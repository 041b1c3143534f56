/**
 * Connects one inspector webview (the panel, or a custom editor's) to the model session: replays
 * the session's state when the webview says it is ready, forwards session events as messages, and
 * turns the webview's requests into session calls. Each analysis result reaches a loaded webview
 * once, whether a panel request or a palette command computed it.
 */
import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import type { ModelSession, SessionRun } from '../host/session';
import type { CompositionScores, HeadScores, Intervention } from '../protocol/engine';
import type { FromWebview, ToWebview } from '../protocol/webview';
import { CODICONS_DIR, inspectorHtml } from './html';

/** A short label of an ablated component for the views' marker: "1.2" (head), "attn 0", "mlp 1". */
function ablatedLabel(i: Intervention): string {
  return i.kind === 'head' ? `${i.layer}.${i.head}` : `${i.kind} ${i.layer}`;
}

export class InspectorView extends Disposable {
  private ready = false;
  /** Errors posted while the webview was not listening, shown once it is. */
  private readonly queuedErrors: ToWebview[] = [];
  /** The prompt the host last set, replayed whenever the webview (re)loads. */
  private prompt: string | undefined;
  /** A tab a command asked for before the webview was listening. */
  private pendingTab: string | undefined;
  /** Analysis results posted since the webview last loaded. */
  private sent = new WeakSet<object>();

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
    this.register(session.onDidComputeHeads((scores) => this.sendHeads(scores)));
    this.register(session.onDidComputeComposition((scores) => this.sendComposition(scores)));
    this.register(session.onDidChangeAblations((interventions) => this.post({ type: 'ablations', interventions })));
    this.register(session.onDidRunIntervention((message) => this.post(message)));
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

  /** Shows a tab of the webview (now, or as soon as it is listening). */
  showTab(tab: string): void {
    if (this.ready) {
      this.pendingTab = undefined;
      this.post({ type: 'showTab', tab });
    } else {
      this.pendingTab = tab;
    }
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
        this.sent = new WeakSet();
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
      case 'requestHeads': {
        const scores = await this.session.heads(message.source);
        if (scores) this.sendHeads(scores);
        return;
      }
      case 'requestComposition': {
        const scores = await this.session.composition(message.baseline);
        if (scores) this.sendComposition(scores);
        return;
      }
      case 'requestSkipTrigrams': {
        const tables = await this.session.skipTrigrams(message.token);
        if (tables) this.post({ type: 'skipTrigrams', tables });
        return;
      }
      case 'requestAttribution': {
        const attribution = await this.session.attribution(message.position, message.target, message.contrast);
        const ablated = this.session.lastRun?.ablations?.map(ablatedLabel);
        if (attribution) this.post({ type: 'attribution', attribution, ...(ablated?.length ? { ablated } : {}) });
        return;
      }
      case 'selectPair':
        // The later head of the pair becomes the selected head (its circuits follow).
        this.session.selectHead(message.to.layer, message.to.head);
        return;
      case 'save':
        await saveExport(message.fileName, message.data);
        return;
      case 'clearAblations':
        void vscode.commands.executeCommand('circuitInspector.clearAblations');
        return;
      case 'saveExperiment':
        void vscode.commands.executeCommand('circuitInspector.saveExperiment');
        return;
      case 'requestParticles':
      case 'requestParticleKernel':
      case 'requestSimulation':
      case 'requestPhaseDiagram': {
        const reply = await this.session.particles.answer(message);
        if (reply) this.post(reply);
        return;
      }
    }
  }

  private sendHeads(scores: HeadScores): void {
    this.sendOnce(scores, { type: 'heads', scores });
  }

  private sendComposition(scores: CompositionScores): void {
    this.sendOnce(scores, { type: 'composition', scores });
  }

  /** Posts a result unless this webview already has it (a request and a command can both deliver it). */
  private sendOnce(result: object, message: ToWebview): void {
    if (!this.ready || this.sent.has(result)) return;
    this.sent.add(result);
    this.post(message);
  }

  /** Everything the session knows, for a webview that just (re)loaded. */
  private replay(): void {
    this.post({ type: 'status', ...this.session.status });
    if (this.session.model) this.sendModel();
    const prompt = this.prompt ?? this.session.lastRun?.prompt;
    if (prompt !== undefined) this.post({ type: 'prompt', text: prompt });
    if (this.session.lastRun) this.sendRun(this.session.lastRun);
    this.post({ type: 'ablations', interventions: this.session.ablations });
    const intervention = this.session.lastIntervention;
    if (intervention) this.post(intervention.message);
    // Results the webview would otherwise ask for again; the most useful heads scores last (shown).
    for (const scores of this.session.cachedHeads()) this.sendHeads(scores);
    for (const scores of this.session.cachedComposition()) this.sendComposition(scores);
    if (this.pendingTab !== undefined) this.showTab(this.pendingTab);
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
      ...(run.ablations?.length ? { ablated: run.ablations.map(ablatedLabel) } : {}),
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
