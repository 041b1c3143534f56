/**
 * Integration tests: the extension in a real VS Code (code-server here and in CI, desktop VS Code
 * through `npm run test:electron`). They drive the commands as a user would and check what the
 * host posted to the inspector panel (`CircuitInspectorApi.panelLog`) against Hugging Face
 * transformers' reference values for the GPT-2 fixture. Asynchronous effects are polled for with a
 * timeout, never waited for with fixed sleeps.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { CircuitInspectorApi } from '../../src/api';
import type { ToWebview } from '../../src/protocol/webview';

const EXTENSION_ID = 'circuit-inspector.circuit-inspector';
const COMMANDS = [
  'circuitInspector.inspectModel',
  'circuitInspector.analyzeSelection',
  'circuitInspector.showPanel',
  'circuitInspector.clearAttention',
  'circuitInspector.restartEngine',
  'circuitInspector.findInductionHeads',
  'circuitInspector.showComposition',
  'circuitInspector.showParticles',
  'circuitInspector.explainHead',
  'circuitInspector.ablateHead',
  'circuitInspector.ablateHeads',
  'circuitInspector.ablateMlp',
  'circuitInspector.ablateAttentionLayer',
  'circuitInspector.clearAblations',
  'circuitInspector.patchActivations',
  'circuitInspector.saveExperiment',
  'circuitInspector.runExperiment',
];
const PANEL_VIEW_TYPE = 'circuitInspector.panel';
const PATTERN_TOLERANCE = 1e-5;
const WAIT_MS = 60_000;

/** test/fixtures: from the runner (extensionEnvironment), else relative to out/test/suite/. */
const FIXTURES = process.env.CIRCUIT_INSPECTOR_FIXTURES ?? path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures');
const GPT2_DIR = path.join(FIXTURES, 'models', 'gpt2');

interface ReferenceCase {
  readonly text?: string;
  readonly tokens: number[];
  readonly attentions: number[][][][]; // [layer][head][query][key]
}
const reference = JSON.parse(fs.readFileSync(path.join(GPT2_DIR, 'reference.json'), 'utf8')) as { cases: ReferenceCase[] };
const textCase = reference.cases.find((c) => typeof c.text === 'string');
if (!textCase?.text) throw new Error(`no text case in ${GPT2_DIR}/reference.json`);
/** "function add(a, b) { return a + b; }\nconst x = add(1, 2);" — 40 tokens. */
const TEXT = textCase.text;

type Message<T extends ToWebview['type']> = Extract<ToWebview, { type: T }>;

let api: CircuitInspectorApi;

function log(): readonly ToWebview[] {
  return api.panelLog;
}

/** An error the host showed in the panel: an `error` message or an error `status`. */
function errorText(message: ToWebview): string | undefined {
  if (message.type === 'error') return message.message;
  if (message.type === 'status' && message.state === 'error') return message.message ?? '(status error without a message)';
  return undefined;
}

function summarize(messages: readonly ToWebview[]): string {
  return messages.map((m) => (m.type === 'status' ? `status:${m.state}${m.message ? `(${m.message})` : ''}` : m.type === 'error' ? `error(${m.message})` : m.type)).join(', ') || '(none)';
}

/** Starts a command without blocking on it (a command may await a notification); reports its outcome. */
function startCommand(id: string, ...args: unknown[]): { readonly outcome: () => string; readonly done: Promise<void> } {
  let state = 'still running';
  const done = Promise.resolve(vscode.commands.executeCommand(id, ...args)).then(
    () => {
      state = 'resolved';
    },
    (error: unknown) => {
      state = `rejected: ${error instanceof Error ? error.message : String(error)}`;
    },
  );
  return { outcome: () => `${id} ${state}`, done };
}

interface WaitOptions {
  readonly since: number;
  readonly what: string;
  readonly command?: { readonly outcome: () => string };
  /** Fail as soon as an error appears in the panel (default true). */
  readonly failOnError?: boolean;
  readonly timeoutMs?: number;
}

/** Polls the panel log from index `since` until `find` returns a value. */
async function waitFor<T>(find: (messages: readonly ToWebview[]) => T | undefined, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? WAIT_MS);
  for (;;) {
    const messages = log().slice(options.since);
    const found = find(messages);
    if (found !== undefined) return found;
    if (options.failOnError !== false) {
      const error = messages.map(errorText).find((text) => text !== undefined);
      if (error !== undefined) assert.fail(`${options.what}: the panel got an error instead: ${error}`);
    }
    if (Date.now() > deadline) {
      assert.fail(
        `${options.what}: not seen within ${(options.timeoutMs ?? WAIT_MS) / 1000} s` +
          `${options.command ? ` (${options.command.outcome()})` : ''}; messages since: ${summarize(messages)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function isInside(file: string | undefined, dir: string): boolean {
  if (!file) return false;
  const relative = path.relative(dir, path.resolve(file));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The inspector panel's tabs, in any editor group. */
function panelTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith(PANEL_VIEW_TYPE));
}

function allTabs(): string {
  return vscode.window.tabGroups.all.map((group) => `column ${group.viewColumn}: [${group.tabs.map((tab) => tab.label).join(', ')}]`).join('; ');
}

async function inspect(target: vscode.Uri, what: string): Promise<Message<'model'>> {
  const since = log().length;
  const command = startCommand('circuitInspector.inspectModel', target);
  return waitFor((messages) => messages.find((m): m is Message<'model'> => m.type === 'model'), { since, what, command });
}

async function ensureGpt2(): Promise<void> {
  if (isInside(api.modelPath, GPT2_DIR)) return;
  await inspect(vscode.Uri.file(GPT2_DIR), 'model message for gpt2');
}

/** Opens an untitled JavaScript document with `content` in the first column and selects [start, end). */
async function editorWith(content: string, start: number, end: number): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument({ language: 'javascript', content });
  const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
  editor.selection = new vscode.Selection(document.positionAt(start), document.positionAt(end));
  assert.equal(vscode.window.activeTextEditor?.document, document, 'the test document is the active editor');
  return editor;
}

/** Runs Analyze Selection and waits for the run and one pattern message per layer. */
async function analyze(what: string): Promise<{ run: Message<'run'>; patterns: Message<'pattern'>[] }> {
  const since = log().length;
  const command = startCommand('circuitInspector.analyzeSelection');
  const run = await waitFor((messages) => messages.find((m): m is Message<'run'> => m.type === 'run'), { since, what: `${what}: run message`, command });
  const patterns = await waitFor(
    (messages) => {
      const mine = messages.filter((m): m is Message<'pattern'> => m.type === 'pattern' && m.runId === run.runId);
      return mine.length >= run.layers ? mine : undefined;
    },
    { since, what: `${what}: ${run.layers} pattern messages for run ${run.runId}`, command },
  );
  return { run, patterns };
}

function assertMatchesReference(run: Message<'run'>, patterns: Message<'pattern'>[], expected: ReferenceCase): void {
  assert.deepEqual([...run.tokens], expected.tokens, 'token ids match the tokenizer reference');
  assert.equal(run.tokenStrings.length, run.tokens.length, 'one token string per token');
  assert.equal(run.layers, 2, 'run.layers');
  assert.equal(run.heads, 4, 'run.heads');
  const n = expected.tokens.length;
  for (let layer = 0; layer < run.layers; layer++) {
    const pattern = patterns.find((p) => p.layer === layer);
    assert.ok(pattern, `a pattern message for layer ${layer}`);
    assert.ok(pattern.data instanceof Float32Array, `layer ${layer} data is a Float32Array`);
    assert.equal(pattern.data.length, run.heads * n * n, `layer ${layer} data length is heads×n×n`);
    let worst = 0;
    let where = '';
    const attentions = expected.attentions[layer]!;
    for (let head = 0; head < run.heads; head++) {
      for (let q = 0; q < n; q++) {
        for (let k = 0; k < n; k++) {
          const diff = Math.abs(pattern.data[(head * n + q) * n + k]! - attentions[head]![q]![k]!);
          if (!(diff <= worst)) {
            worst = Number.isNaN(diff) ? Infinity : diff;
            where = `head ${head}, query ${q}, key ${k}`;
          }
        }
      }
    }
    if (process.env.CIRCUIT_INSPECTOR_VERBOSE) console.log(`      layer ${layer}: max |Δattention| ${worst.toExponential(2)}`);
    assert.ok(worst <= PATTERN_TOLERANCE, `layer ${layer} attention differs from transformers by ${worst} at ${where}`);
  }
}

suite('harness', () => {
  test('runs inside VS Code', () => {
    assert.ok(vscode.version, 'vscode.version is defined');
  });

  test('the extension under development is present', () => {
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID), `${EXTENSION_ID} is installed`);
  });
});

suite('Circuit Inspector extension', () => {
  suiteSetup(async () => {
    const extension = vscode.extensions.getExtension<CircuitInspectorApi>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is installed`);
    api = await extension.activate();
    assert.ok(api && Array.isArray(api.panelLog), `activate() returns the CircuitInspectorApi (got ${typeof api})`);
  });

  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('circuitInspector').update('maxTokens', undefined, vscode.ConfigurationTarget.Global);
  });

  test('activates, returns its API and registers every command and setting', async () => {
    const commands = new Set(await vscode.commands.getCommands(true));
    const missing = COMMANDS.filter((id) => !commands.has(id));
    assert.deepEqual(missing, [], 'every command is registered');
    const config = vscode.workspace.getConfiguration('circuitInspector');
    assert.equal(config.inspect('backend')?.defaultValue, 'auto', 'circuitInspector.backend defaults to auto');
    assert.equal(typeof config.inspect('defaultPrompt')?.defaultValue, 'string', 'circuitInspector.defaultPrompt is a string setting');
    assert.equal(typeof config.inspect('maxTokens')?.defaultValue, 'number', 'circuitInspector.maxTokens is a number setting');
    assert.equal(typeof config.inspect('memoryLimitMB')?.defaultValue, 'number', 'circuitInspector.memoryLimitMB is a number setting');
  });

  test('Inspect Model on the gpt2 fixture opens the panel beside the editor and posts its model card', async () => {
    const editor = await editorWith('// the editor the panel opens beside\n', 0, 0);
    const model = await inspect(vscode.Uri.file(GPT2_DIR), 'model message for gpt2');
    const panel = panelTabs();
    assert.equal(panel.length, 1, `one inspector panel is open (tabs: ${allTabs()})`);
    assert.notEqual(panel[0]!.group.viewColumn, editor.viewColumn, `the panel opened beside the editor, not in its group (tabs: ${allTabs()})`);
    assert.equal(model.card.layers, 2, 'card.layers');
    assert.equal(model.card.heads, 4, 'card.heads');
    assert.equal(model.card.architecture.toLowerCase().includes('gpt2'), true, `card.architecture is GPT-2 (${model.card.architecture})`);
    assert.ok(isInside(api.modelPath, GPT2_DIR), `api.modelPath (${api.modelPath}) is the gpt2 fixture`);
  });

  test('Analyze Selection runs the selected code and posts patterns matching transformers', async () => {
    await ensureGpt2();
    const before = '// not part of the prompt\n';
    const after = '\n// neither is this\n';
    await editorWith(before + TEXT + after, before.length, before.length + TEXT.length);
    const since = log().length;
    const { run, patterns } = await analyze('Analyze Selection');
    assertMatchesReference(run, patterns, textCase);
    const prompt = log().slice(since).find((m): m is Message<'prompt'> => m.type === 'prompt');
    assert.equal(prompt?.text, TEXT, 'the panel\'s prompt box is prefilled with the selection');
  });

  test('Analyze Selection with an empty selection runs the whole document', async () => {
    await ensureGpt2();
    await editorWith(TEXT, 0, 0);
    const { run, patterns } = await analyze('Analyze Selection (whole document)');
    assertMatchesReference(run, patterns, textCase);
  });

  test('a corrupt weights file gives an error in the panel, and the extension keeps working', async () => {
    await ensureGpt2();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'circuit-inspector-corrupt-'));
    try {
      for (const file of ['config.json', 'tokenizer.json']) fs.copyFileSync(path.join(GPT2_DIR, file), path.join(dir, file));
      // A safetensors header length (8 bytes, little-endian) followed by a header that is not JSON.
      const header = Buffer.from('{"wte.weight": {"dtype": "F32", "shape": [3', 'utf8');
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(BigInt(header.length));
      const corrupt = path.join(dir, 'model.safetensors');
      fs.writeFileSync(corrupt, Buffer.concat([length, header, Buffer.alloc(64, 0xff)]));

      const since = log().length;
      const command = startCommand('circuitInspector.inspectModel', vscode.Uri.file(corrupt));
      const error = await waitFor((messages) => messages.map(errorText).find((text) => text !== undefined), {
        since,
        what: 'an error for the corrupt weights file',
        command,
        failOnError: false,
      });
      console.log(`      corrupt weights → "${error}"`);
      assert.ok(error.length > 0, 'the error has a message');
      assert.ok(!log().slice(since).some((m) => m.type === 'model'), 'no model message for the corrupt file');
      assert.ok(isInside(api.modelPath, GPT2_DIR), `the previous model stays loaded (api.modelPath is ${api.modelPath})`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    const model = await inspect(vscode.Uri.file(GPT2_DIR), 'model message for gpt2 after the corrupt file');
    assert.equal(model.card.layers, 2);
    assert.equal(model.card.heads, 4);
  });

  test('a prompt longer than circuitInspector.maxTokens is refused with a message naming the limit', async () => {
    await ensureGpt2();
    const config = vscode.workspace.getConfiguration('circuitInspector');
    await config.update('maxTokens', 8, vscode.ConfigurationTarget.Global);
    try {
      assert.equal(vscode.workspace.getConfiguration('circuitInspector').get('maxTokens'), 8, 'maxTokens is now 8');
      await editorWith(TEXT, 0, TEXT.length);
      const since = log().length;
      const command = startCommand('circuitInspector.analyzeSelection');
      const error = await waitFor((messages) => messages.map(errorText).find((text) => text !== undefined), {
        since,
        what: 'an error for a 40-token prompt with maxTokens 8',
        command,
        failOnError: false,
      });
      console.log(`      maxTokens 8 → "${error}"`);
      assert.match(error, /(^|\D)8(\D|$)/, `the message names the limit 8: "${error}"`);
      assert.ok(!log().slice(since).some((m) => m.type === 'run'), 'no run message for the refused prompt');
    } finally {
      await config.update('maxTokens', undefined, vscode.ConfigurationTarget.Global);
    }
    // And analysis works again once the limit allows it.
    await editorWith(TEXT, 0, TEXT.length);
    const { run } = await analyze('Analyze Selection after restoring maxTokens');
    assert.deepEqual([...run.tokens], textCase.tokens);
  });

  test('Find Induction Heads scores every head on repeated random tokens and opens the Heads tab', async () => {
    await ensureGpt2();
    const since = log().length;
    const command = startCommand('circuitInspector.findInductionHeads');
    const heads = await waitFor((messages) => messages.find((m): m is Message<'heads'> => m.type === 'heads' && m.scores.source === 'random'), {
      since,
      what: 'head scores on repeated random tokens',
      command,
    });
    await waitFor((messages) => messages.find((m) => m.type === 'showTab' && m.tab === 'heads'), { since, what: 'showTab heads', command });
    const { scores } = heads;
    assert.equal(scores.layers, 2, 'scores.layers');
    assert.equal(scores.heads, 4, 'scores.heads');
    for (const key of ['previousToken', 'duplicateToken', 'induction', 'sink', 'copyingOV', 'copyingQK'] as const) {
      assert.ok(scores[key] instanceof Float32Array && scores[key].length === 8, `${key} is a Float32Array of 8 heads`);
    }
    for (const key of ['previousToken', 'duplicateToken', 'induction', 'sink'] as const) {
      assert.ok([...scores[key]].every((v) => v >= -1e-6 && v <= 1 + 1e-6), `${key} scores are fractions of attention: ${[...scores[key]].join(', ')}`);
    }
    assert.ok(scores.processing.length > 0, 'the scores say which weight processing they used');
    assert.equal(log().slice(since).filter((m) => m.type === 'heads' && m.scores.source === 'random').length, 1, 'posted once');
    await command.done;
  });

  test('Show Composition Scores posts Q/K/V composition matching TransformerLens and opens the Composition tab', async () => {
    await ensureGpt2();
    const golden = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'circuits', 'gpt2.json'), 'utf8')) as {
      composition: Record<'q' | 'k' | 'v', number[][][][]>;
    };
    const since = log().length;
    const command = startCommand('circuitInspector.showComposition');
    const composition = await waitFor((messages) => messages.find((m): m is Message<'composition'> => m.type === 'composition'), {
      since,
      what: 'composition scores',
      command,
    });
    await waitFor((messages) => messages.find((m) => m.type === 'showTab' && m.tab === 'composition'), { since, what: 'showTab composition', command });
    const { scores } = composition;
    for (const kind of ['q', 'k', 'v'] as const) {
      const expected = golden.composition[kind].flat(3);
      assert.equal(scores[kind].length, expected.length, `${kind} has one score per head pair`);
      const worst = Math.max(...expected.map((value, i) => Math.abs(value - scores[kind][i]!)));
      assert.ok(worst <= 1e-4, `${kind}-composition differs from TransformerLens by ${worst}`);
    }
    await command.done;
  });

  test('Show Particle View opens the Particles tab, which asks for the run\'s particles: one snapshot per layer input plus the final stream', async () => {
    await ensureGpt2();
    await editorWith(TEXT, 0, TEXT.length);
    const { run } = await analyze('Show Particle View');
    const since = log().length;
    const command = startCommand('circuitInspector.showParticles');
    await waitFor((messages) => messages.find((m) => m.type === 'showTab' && m.tab === 'particles'), { since, what: 'showTab particles', command });
    // Nothing but the webview's own request (the visible tab asks for what it needs) brings these.
    const { result } = await waitFor((messages) => messages.find((m): m is Message<'particles'> => m.type === 'particles' && m.runId === run.runId), { since, what: 'particles of the run', command });
    assert.deepEqual(result.tokens, run.tokens, 'the run\'s tokens');
    assert.equal(result.layers.length, run.layers + 1, 'snapshots');
    assert.ok(result.projection instanceof Float32Array && result.projection.length === result.layers.length * run.tokens.length * 3, 'a [snapshot, token, 3] Float32Array');
    for (const layer of result.layers) assert.equal(layer.clusterOf.length, run.tokens.length, `a cluster per token at ${layer.label}`);
    await command.done;
  });

  test('Explain Head… selects the picked head and opens its QK / OV circuits', async () => {
    await ensureGpt2();
    const before = log();
    const lastSelect = [...before].reverse().find((m): m is Message<'selectHead'> => m.type === 'selectHead');
    const expected = { layer: lastSelect?.layer ?? 0, head: lastSelect?.head ?? 0 };
    const since = before.length;
    const command = startCommand('circuitInspector.explainHead');
    // The quick pick opens on the selected head: accept it once it shows.
    const deadline = Date.now() + WAIT_MS;
    while (command.outcome().endsWith('still running') && Date.now() < deadline) {
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await waitFor((messages) => messages.find((m) => m.type === 'showTab' && m.tab === 'circuits'), { since, what: 'showTab circuits', command });
    const circuits = await waitFor(
      (messages) => messages.find((m): m is Message<'circuits'> => m.type === 'circuits' && m.circuits.layer === expected.layer && m.circuits.head === expected.head),
      { since, what: `circuits of L${expected.layer}H${expected.head}`, command },
    );
    assert.ok(circuits.circuits.processing.length > 0, 'the circuits say which weight processing they used');
  });

  test('Show Panel, Clear Attention and Restart Engine run, and analysis works after a restart', async () => {
    await ensureGpt2();
    await vscode.commands.executeCommand('circuitInspector.showPanel');
    await vscode.commands.executeCommand('circuitInspector.clearAttention');
    await vscode.commands.executeCommand('circuitInspector.restartEngine');
    await editorWith(TEXT, 0, TEXT.length);
    const { run, patterns } = await analyze('Analyze Selection after Restart Engine');
    assertMatchesReference(run, patterns, textCase);
  });
  test('Ablate Attention Head (ablateHeads) posts the active ablations and an ablationResult whose metric moved; Clear Ablations clears them', async () => {
    await ensureGpt2();
    await editorWith(TEXT, 0, TEXT.length);
    await analyze('Analyze Selection before ablating');
    const since = log().length;
    const command = startCommand('circuitInspector.ablateHeads', { heads: [{ layer: 1, head: 0 }, { layer: 0, head: 2 }], method: 'zero' });
    const ablations = await waitFor((messages) => messages.find((m): m is Message<'ablations'> => m.type === 'ablations' && m.interventions.length > 0), { since, what: 'ablations message', command });
    assert.deepEqual(
      ablations.interventions.map((i) => (i.kind === 'head' ? `${i.layer}.${i.head}:${i.method}` : i.kind)),
      ['1.0:zero', '0.2:zero'],
      'the panel lists the ablated heads',
    );
    const result = await waitFor((messages) => messages.find((m): m is Message<'ablationResult'> => m.type === 'ablationResult'), { since, what: 'ablationResult message', command });
    assert.equal(result.metricLabel, 'loss');
    assert.ok(Number.isFinite(result.result.metricBefore) && Number.isFinite(result.result.metricAfter), `finite metrics (${result.result.metricBefore} → ${result.result.metricAfter})`);
    assert.notEqual(result.result.metricAfter, result.result.metricBefore, 'ablating two heads changes the loss');
    assert.equal(result.result.topAfter.ids.length, result.result.topBefore.ids.length, 'top predictions before and after');
    await waitFor((messages) => messages.find((m) => m.type === 'showTab' && m.tab === 'interventions'), { since, what: 'showTab interventions', command });
    // Every view re-renders under the ablations: the prompt is run again, marked as ablated.
    const ablatedRun = await waitFor((messages) => messages.find((m): m is Message<'run'> => m.type === 'run' && (m.ablated?.length ?? 0) > 0), { since, what: 'a run marked ablated', command });
    assert.deepEqual([...(ablatedRun.ablated ?? [])].sort(), ['0.2', '1.0'].sort().map((label) => ablatedRun.ablated!.find((a) => a.includes(label))!).sort(), 'the run names the ablated heads');
    await command.done;

    // A run from the panel's side (Analyze Selection) applies the active ablations too.
    const rerun = log().length;
    await analyze('Analyze Selection under ablations');
    await waitFor((messages) => messages.find((m): m is Message<'ablationResult'> => m.type === 'ablationResult'), { since: rerun, what: 'ablationResult after a run under ablations' });

    const cleared = log().length;
    await vscode.commands.executeCommand('circuitInspector.clearAblations');
    await waitFor((messages) => messages.find((m) => m.type === 'ablations' && m.interventions.length === 0), { since: cleared, what: 'empty ablations message' });
    await waitFor((messages) => messages.find((m) => m.type === 'run' && !(m.ablated?.length)), { since: cleared, what: 'a clean run after clearing' });
  });

  test('Mean ablation over a reference prompt uses that prompt\'s mean, not the analyzed prompt\'s', async () => {
    await ensureGpt2();
    await editorWith(TEXT, 0, TEXT.length);
    await analyze('Analyze Selection before mean ablations');
    const lossAfter = async (args: Record<string, unknown>, what: string) => {
      const since = log().length;
      const command = startCommand('circuitInspector.ablateHeads', args);
      const result = await waitFor((messages) => messages.find((m): m is Message<'ablationResult'> => m.type === 'ablationResult'), { since, what, command });
      await command.done;
      await vscode.commands.executeCommand('circuitInspector.clearAblations');
      return result.result.metricAfter;
    };
    const heads = [{ layer: 1, head: 0 }, { layer: 1, head: 3 }];
    const overPrompt = await lossAfter({ heads, method: 'mean' }, 'mean ablation over the prompt');
    const overReference = await lossAfter({ heads, method: 'mean', reference: 'the quick brown fox jumps over the lazy dog' }, 'mean ablation over a reference');
    assert.ok(Number.isFinite(overPrompt) && Number.isFinite(overReference));
    assert.notEqual(overReference, overPrompt, 'a different reference prompt gives a different mean, so a different loss');
  });

  test('Patch (circuitInspector.patch) posts a patchResult grid; patching the residual stream at layer 0 where the prompts differ restores the metric', async () => {
    await ensureGpt2();
    // Same token length; the one differing token is "+" → "-" (position 20 with the fixture's tokenizer).
    const clean = 'function add(a, b) { return a + b; }';
    const corrupted = 'function add(a, b) { return a - b; }';
    const since = log().length;
    // A last-position logit (the loss would score each run against its own next tokens, so no patch restores it).
    const command = startCommand('circuitInspector.patch', { clean, corrupted, component: 'resid', metric: { kind: 'logit', target: 93 } });
    const patched = await waitFor((messages) => messages.find((m): m is Message<'patchResult'> => m.type === 'patchResult'), { since, what: 'patchResult message', command });
    await command.done;
    const { result } = patched;
    assert.equal(result.component, 'resid');
    assert.ok(result.rows > 0 && result.cols > 0, `a ${result.rows} × ${result.cols} grid`);
    assert.equal(result.values.length, result.rows * result.cols, 'rows × cols values');
    assert.equal(result.labels.cols.length, result.cols);
    const position = result.labels.cols.findIndex((label) => label.includes('+'));
    assert.ok(position >= 0, `the clean prompt's "+" is a column (${result.labels.cols.join(' ')})`);
    const restored = result.values[0 * result.cols + position]!;
    assert.ok(Math.abs(restored - 1) <= 1e-4, `patching resid at layer 0, position ${position} restores the metric: ${restored}`);
  });

  test('Run experiment (CodeLens command) runs an experiment file and writes its results in place', async () => {
    await ensureGpt2();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? fs.mkdtempSync(path.join(os.tmpdir(), 'circuit-inspector-experiment-'));
    const file = path.join(folder, `suite-${Date.now()}.experiment.json`);
    const experiment = {
      version: 1,
      model: path.relative(folder, GPT2_DIR).split(path.sep).join('/'),
      prompt: TEXT,
      interventions: [{ kind: 'head', layer: 0, head: 1, method: 'zero' }],
      metric: { kind: 'loss' },
    };
    fs.writeFileSync(file, `${JSON.stringify(experiment, null, 2)}\n`);
    try {
      const since = log().length;
      const command = startCommand('circuitInspector.runExperiment', vscode.Uri.file(file));
      await waitFor((messages) => messages.find((m) => m.type === 'ablationResult'), { since, what: 'ablationResult of the experiment', command });
      await command.done;
      const written = fs.readFileSync(file, 'utf8');
      const json = JSON.parse(written) as Record<string, unknown> & { results?: { kind: string; metricBefore: number; metricAfter: number; tokens: number[] } };
      assert.deepEqual(Object.keys(json), ['version', 'model', 'prompt', 'interventions', 'metric', 'results'], 'the other keys stay, results go last');
      assert.equal(json.model, experiment.model, 'the model path is kept as written');
      assert.equal(json.results?.kind, 'ablation');
      assert.equal(json.results?.tokens.length, textCase.tokens.length, 'results name the prompt\'s tokens');
      assert.notEqual(json.results?.metricAfter, json.results?.metricBefore, 'the ablation moved the loss');
      assert.ok(written.startsWith('{\n  "version": 1,\n'), 'written as 2-space JSON');
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', vscode.Uri.file(file));
      assert.ok(lenses?.some((lens) => lens.command?.command === 'circuitInspector.runExperiment'), 'the file shows a Run experiment CodeLens');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      fs.rmSync(file, { force: true });
    }
  });
});
