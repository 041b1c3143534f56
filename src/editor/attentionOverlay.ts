/**
 * Attention on the code itself: after Analyze Selection, hovering a token in the editor shows what
 * it attends to in the selected head, and the analyzed text is shaded by that attention. Stale
 * overlays (the document was edited, the selection moved, a new run) are cleared.
 */
import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import type { ModelSession, SessionRun } from '../host/session';
import { attentionWeights, tokenAt, tokenSpans, topWeights, type Span } from './tokenMap';

/** Shading levels: attention weights are bucketed so a handful of decoration types suffice. */
const LEVELS = 8;

export class AttentionOverlay extends Disposable {
  private readonly levels: vscode.TextEditorDecorationType[];
  private readonly focus: vscode.TextEditorDecorationType;
  private shadedEditor: vscode.TextEditor | undefined;

  constructor(private readonly session: ModelSession) {
    super();
    this.levels = Array.from({ length: LEVELS }, (_, i) =>
      this.register(
        vscode.window.createTextEditorDecorationType({
          // Orange reads on light, dark and high-contrast themes; strength carries the weight.
          backgroundColor: `rgba(255, 140, 0, ${(0.12 + (0.6 * (i + 1)) / LEVELS).toFixed(2)})`,
          borderRadius: '2px',
        }),
      ),
    );
    this.focus = this.register(
      vscode.window.createTextEditorDecorationType({ outlineColor: new vscode.ThemeColor('focusBorder'), outlineStyle: 'solid', outlineWidth: '1px' }),
    );
    this.register(vscode.languages.registerHoverProvider({ scheme: '*' }, { provideHover: (document, position) => this.hover(document, position) }));
    this.register(
      vscode.workspace.onDidChangeTextDocument((event) => {
        // An edit to the analyzed document makes its token ranges stale.
        if (event.contentChanges.length && event.document === this.shadedEditor?.document) this.clear();
      }),
    );
    this.register(
      vscode.window.onDidChangeTextEditorSelection((event) => {
        if (event.textEditor === this.shadedEditor) this.clear();
        this.followCursor(event.textEditor);
      }),
    );
    this.register(session.onDidRun(() => this.clear()));
    this.register(session.onDidSelectHead(() => this.clear()));
  }

  /** Shades the analyzed text by attention from token `index` (null clears), e.g. from the panel's token strip. */
  highlightToken(index: number | null): void {
    const run = this.session.lastRun;
    const editor = run?.source && vscode.window.visibleTextEditors.find((e) => this.analyzed(e.document) === run);
    if (index === null || !run || !editor) return this.clear();
    this.shade(editor, run, index);
  }

  /** Tells the session which analyzed token the cursor is on, so the panel's predictions follow it. */
  private followCursor(editor: vscode.TextEditor): void {
    const run = this.analyzed(editor.document);
    if (!run) return;
    const index = tokenAt(this.spans(run), editor.document.offsetAt(editor.selection.active));
    this.session.moveCursorToken(index >= 0 ? index : null);
  }

  clear(): void {
    const editor = this.shadedEditor;
    this.shadedEditor = undefined;
    if (!editor) return;
    for (const level of this.levels) editor.setDecorations(level, []);
    editor.setDecorations(this.focus, []);
  }

  /** The session's last run if it was taken from this document and the document is unchanged. */
  private analyzed(document: vscode.TextDocument): SessionRun | undefined {
    const run = this.session.lastRun;
    const source = run?.source;
    if (!run || !source || !run.result.offsets || !run.result.patterns) return undefined;
    return source.uri.toString() === document.uri.toString() && source.version === document.version ? run : undefined;
  }

  private spans(run: SessionRun): Span[] {
    return tokenSpans(run.result.offsets!, run.source!.startOffset);
  }

  private hover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const run = this.analyzed(document);
    if (!run) return undefined;
    const spans = this.spans(run);
    const index = tokenAt(spans, document.offsetAt(position));
    if (index < 0) return undefined;
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
    if (editor) this.shade(editor, run, index);

    const { layer, head } = this.session.selectedHead;
    const n = run.result.tokens.length;
    const weights = attentionWeights(run.result.patterns![layer]!, n, head, index, 'query');
    const label = (i: number) => '`' + (run.result.tokenStrings?.[i] ?? String(run.result.tokens[i])).replace(/`/g, "'").replace(/\n/g, '↵') + '`';
    const lines = topWeights(weights, 5).map(({ index: key, weight }) => `| ${label(key)} | ${key} | ${weight.toFixed(3)} |`);
    const markdown = new vscode.MarkdownString(
      [`**Circuit Inspector** · head ${layer}.${head} · token ${index} ${label(index)} attends to:`, '', '| token | position | weight |', '|---|---:|---:|', ...lines].join('\n'),
    );
    const [start, end] = spans[index]!;
    return new vscode.Hover(markdown, new vscode.Range(document.positionAt(start), document.positionAt(end)));
  }

  private shade(editor: vscode.TextEditor, run: SessionRun, index: number): void {
    this.clear();
    const { layer, head } = this.session.selectedHead;
    const n = run.result.tokens.length;
    const weights = attentionWeights(run.result.patterns![layer]!, n, head, index, 'query');
    const spans = this.spans(run);
    const byLevel: vscode.Range[][] = this.levels.map(() => []);
    const max = Math.max(...weights);
    weights.forEach((weight, key) => {
      const [start, end] = spans[key]!;
      if (end <= start || weight <= 0 || max <= 0) return;
      const level = Math.min(LEVELS - 1, Math.floor((weight / max) * LEVELS));
      if (weight / max < 0.05) return; // leave near-zero attention unshaded
      byLevel[level]!.push(new vscode.Range(editor.document.positionAt(start), editor.document.positionAt(end)));
    });
    this.levels.forEach((level, i) => editor.setDecorations(level, byLevel[i]!));
    const [start, end] = spans[index]!;
    editor.setDecorations(this.focus, [new vscode.Range(editor.document.positionAt(start), editor.document.positionAt(end))]);
    this.shadedEditor = editor;
  }
}
