/**
 * Ablation and patching commands: Ablate Attention Head… (multi-select of heads labeled with their
 * scores, then the method), Ablate MLP Layer…, Clear Ablations, Patch Activations… (corrupted
 * prompt, metric, component; a cancellable sweep). Ablations become session state: the status bar
 * and the panel show them and later runs apply them. `circuitInspector.ablateHeads` and
 * `circuitInspector.patch` take their choices as arguments (scripts and tests).
 */
import * as vscode from 'vscode';
import { readSettings } from '../config';
import { ABLATION_METHODS, checkInterventions, interventionLabel, metricLabel } from '../host/interventions';
import type { ModelSession, PatchSpec } from '../host/session';
import type { InspectorPanel } from '../panel/inspectorPanel';
import type { AblationMethod, AblationResult, Intervention, PatchComponent } from '../protocol/engine';
import type { ExperimentMetric } from '../protocol/experiment';
import { ensureModel } from './ensureModel';
import { headName, headScoreLabel } from './headSummary';

export interface AblateHeadsArgs {
  readonly heads: readonly { readonly layer: number; readonly head: number }[];
  readonly method?: AblationMethod;
  /** The resample source (same token length as the prompt). */
  readonly corrupted?: string;
  /** Mean ablation over this reference prompt's positions instead of the analyzed prompt's. */
  readonly reference?: string;
}

export interface AblateLayersArgs {
  readonly layers: readonly number[];
  readonly kind?: 'mlp' | 'attn';
  readonly method?: AblationMethod;
  readonly corrupted?: string;
  /** Mean ablation over this reference prompt's positions instead of the analyzed prompt's. */
  readonly reference?: string;
}

export interface PatchArgs {
  /** Default: the last run's prompt, else the default prompt. */
  readonly clean?: string;
  readonly corrupted: string;
  readonly metric?: ExperimentMetric;
  readonly component?: PatchComponent;
}

interface Picked<T> extends vscode.QuickPickItem {
  readonly value: T;
}

export function registerInterventions(session: ModelSession, panel: InspectorPanel): vscode.Disposable {
  const origin = { notify: true };

  /** Adds the interventions and measures them on the last prompt (running the default prompt when nothing ran). */
  async function apply(interventions: Intervention[], corrupted: string | undefined, reference?: string): Promise<AblationResult | undefined> {
    const card = session.model?.card;
    if (!card) return undefined;
    const problem = checkInterventions(interventions, card.layers, card.heads);
    if (problem) {
      void vscode.window.showErrorMessage(`Circuit Inspector: ${problem}.`);
      return undefined;
    }
    session.addAblations(interventions, corrupted, reference);
    const view = panel.show();
    view.showTab('interventions');
    const run = session.lastRun;
    const prompt = run?.prompt ?? readSettings().defaultPrompt;
    if (!run) view.setPrompt(prompt);
    // Rerunning the prompt computes every view (attention, predictions, attribution) under the
    // active ablations, and posts the metric before → after.
    if (!(await session.run(prompt, run?.source, origin))) return undefined;
    const message = session.lastIntervention?.message;
    const result = message?.type === 'ablationResult' ? message.result : undefined;
    if (result) announce(result);
    return result;
  }

  function announce(result: AblationResult): void {
    const text = `Ablated ${result.interventions.map(interventionLabel).join(', ')}: loss ${result.metricBefore.toFixed(3)} → ${result.metricAfter.toFixed(3)}.`;
    void vscode.window.showInformationMessage(text, 'Save as Experiment…').then((choice) => {
      if (choice) void vscode.commands.executeCommand('circuitInspector.saveExperiment');
    });
  }

  async function pickMethod(title: string): Promise<{ method: AblationMethod; corrupted?: string; reference?: string } | undefined> {
    const picked = await vscode.window.showQuickPick<Picked<AblationMethod>>(
      ABLATION_METHODS.map((m) => ({ label: m.label, detail: m.detail, value: m.method })),
      { title, placeHolder: 'How to replace the ablated activations' },
    );
    if (!picked) return undefined;
    if (picked.value === 'mean') return pickMeanReference(title);
    if (picked.value !== 'resample') return { method: picked.value };
    const corrupted = await vscode.window.showInputBox({
      title: `${title}: corrupted prompt`,
      prompt: 'Resample takes activations from this prompt; it must have the same number of tokens as the analyzed prompt.',
      value: session.ablationCorrupted ?? session.lastRun?.prompt ?? readSettings().defaultPrompt,
      ignoreFocusOut: true,
    });
    return corrupted ? { method: 'resample', corrupted } : undefined;
  }

  /** Mean ablation averages over the analyzed prompt's positions, or over a reference prompt's. */
  async function pickMeanReference(title: string): Promise<{ method: AblationMethod; reference?: string } | undefined> {
    const over = await vscode.window.showQuickPick(
      [
        { label: 'This prompt', detail: "Mean of the activation over the analyzed prompt's positions", value: false },
        { label: 'A reference prompt…', detail: "Mean over another prompt's positions (any length)", value: true },
      ],
      { title: `${title}: mean over` },
    );
    if (!over) return undefined;
    if (!over.value) return { method: 'mean' };
    const reference = await vscode.window.showInputBox({
      title: `${title}: reference prompt`,
      prompt: 'Mean ablation replaces the activation with its mean over this prompt’s positions.',
      value: session.ablationReference ?? readSettings().defaultPrompt,
      ignoreFocusOut: true,
    });
    return reference ? { method: 'mean', reference } : undefined;
  }

  return vscode.Disposable.from(
    vscode.commands.registerCommand('circuitInspector.ablateHead', async () => {
      if (!(await ensureModel(session, panel, 'ablate its heads'))) return;
      const card = session.model?.card;
      if (!card) return;
      const scores = session.knownHeadScores;
      const active = new Set(session.ablations.filter((i) => i.kind === 'head').map((i) => `${i.layer}.${i.head}`));
      const items: (Picked<{ layer: number; head: number }> & { picked: boolean })[] = [];
      for (let layer = 0; layer < card.layers; layer++) {
        for (let head = 0; head < card.heads; head++) {
          items.push({ label: `${layer}.${head}`, description: [headName(layer, head), headScoreLabel(scores, layer, head)].filter(Boolean).join(' · '), value: { layer, head }, picked: active.has(`${layer}.${head}`) });
        }
      }
      const picked = await vscode.window.showQuickPick(items, {
        title: 'Ablate Attention Head',
        placeHolder: scores ? 'Pick heads to ablate (L.H) · scores: previous-token, induction, OV copying' : 'Pick heads to ablate (L.H); run “Find Induction Heads” to see their scores here',
        canPickMany: true,
        matchOnDescription: true,
      });
      if (!picked || picked.length === 0) return;
      const method = await pickMethod('Ablate Attention Head');
      if (!method) return;
      await apply(
        picked.map(({ value }) => ({ kind: 'head', layer: value.layer, head: value.head, method: method.method })),
        method.corrupted,
      );
    }),
    vscode.commands.registerCommand('circuitInspector.ablateHeads', async (args: AblateHeadsArgs | undefined) => {
      if (!args || !Array.isArray(args.heads)) {
        void vscode.window.showErrorMessage('circuitInspector.ablateHeads takes { heads: [{ layer, head }], method?: zero | mean | resample, corrupted? }.');
        return undefined;
      }
      if (!(await ensureModel(session, panel, 'ablate its heads'))) return undefined;
      const method = args.method ?? 'zero';
      return apply(args.heads.map((h) => ({ kind: 'head', layer: h.layer, head: h.head, method })), args.corrupted, args.reference);
    }),
    vscode.commands.registerCommand('circuitInspector.ablateMlp', async (args?: AblateLayersArgs) => {
      if (!(await ensureModel(session, panel, 'ablate its MLP layers'))) return undefined;
      const card = session.model?.card;
      if (!card) return undefined;
      if (args && Array.isArray(args.layers)) {
        const kind = args.kind ?? 'mlp';
        const method = args.method ?? 'zero';
        return apply(args.layers.map((layer) => ({ kind, layer, method })), args.corrupted, args.reference);
      }
      const active = new Set(session.ablations.filter((i) => i.kind === 'mlp').map((i) => i.layer));
      const picked = await vscode.window.showQuickPick(
        Array.from({ length: card.layers }, (_, layer) => ({ label: `MLP ${layer}`, description: `blocks.${layer}.hook_mlp_out`, value: layer, picked: active.has(layer) })),
        { title: 'Ablate MLP Layer', placeHolder: 'Pick MLP layers to ablate', canPickMany: true },
      );
      if (!picked || picked.length === 0) return undefined;
      const method = await pickMethod('Ablate MLP Layer');
      if (!method) return undefined;
      return apply(picked.map(({ value }) => ({ kind: 'mlp', layer: value, method: method.method })), method.corrupted, method.reference);
    }),
    vscode.commands.registerCommand('circuitInspector.ablateAttentionLayer', async (args?: Omit<AblateLayersArgs, 'kind'>) => {
      if (!(await ensureModel(session, panel, 'ablate its attention layers'))) return undefined;
      const card = session.model?.card;
      if (!card) return undefined;
      // Scriptable like ablateMlp with kind 'attn': { layers, method?, corrupted? }.
      if (args && Array.isArray(args.layers)) {
        const method = args.method ?? 'zero';
        return apply(args.layers.map((layer) => ({ kind: 'attn', layer, method })), args.corrupted, args.reference);
      }
      const active = new Set(session.ablations.filter((i) => i.kind === 'attn').map((i) => i.layer));
      const picked = await vscode.window.showQuickPick(
        Array.from({ length: card.layers }, (_, layer) => ({ label: `Attention ${layer}`, description: `blocks.${layer}.hook_attn_out`, value: layer, picked: active.has(layer) })),
        { title: 'Ablate Attention Layer', placeHolder: 'Pick attention layers to ablate (every head of the layer)', canPickMany: true },
      );
      if (!picked || picked.length === 0) return undefined;
      const method = await pickMethod('Ablate Attention Layer');
      if (!method) return undefined;
      return apply(picked.map(({ value }) => ({ kind: 'attn', layer: value, method: method.method })), method.corrupted, method.reference);
    }),
    vscode.commands.registerCommand('circuitInspector.clearAblations', async () => {
      const count = session.ablations.length;
      session.clearAblations();
      if (count === 0) return;
      void vscode.window.setStatusBarMessage(`Circuit Inspector: cleared ${count} ablation${count === 1 ? '' : 's'}`, 3000);
      // Back to the clean model in every view.
      const run = session.lastRun;
      if (run) await session.run(run.prompt, run.source, origin);
    }),
    vscode.commands.registerCommand('circuitInspector.patchActivations', async () => {
      if (!(await ensureModel(session, panel, 'patch its activations'))) return;
      const spec = await askPatch(session);
      if (!spec) return;
      await runPatch(spec);
    }),
    vscode.commands.registerCommand('circuitInspector.patch', async (args: PatchArgs | undefined) => {
      if (!args || typeof args.corrupted !== 'string') {
        void vscode.window.showErrorMessage('circuitInspector.patch takes { corrupted, clean?, metric?, component?: heads | attn | resid }.');
        return undefined;
      }
      if (!(await ensureModel(session, panel, 'patch its activations'))) return undefined;
      const clean = args.clean ?? session.lastRun?.prompt ?? readSettings().defaultPrompt;
      return runPatch({ clean, corrupted: args.corrupted, metric: args.metric ?? { kind: 'loss' }, component: args.component ?? 'heads' });
    }),
  );

  async function runPatch(spec: PatchSpec) {
    panel.show().showTab('interventions');
    const done = await session.patch(spec, origin);
    if (done) {
      void vscode.window.showInformationMessage(`Patched ${spec.component}: ${metricLabel(spec.metric)} clean ${done.result.cleanMetric.toFixed(3)}, corrupted ${done.result.corruptedMetric.toFixed(3)}.`, 'Save as Experiment…').then((choice) => {
        if (choice) void vscode.commands.executeCommand('circuitInspector.saveExperiment');
      });
    }
    return done?.result;
  }
}

/** The Patch Activations… questions: clean (when nothing ran) and corrupted prompts, metric with its tokens, component. */
async function askPatch(session: ModelSession): Promise<PatchSpec | undefined> {
  const title = 'Patch Activations';
  let clean = session.lastRun?.prompt;
  if (clean === undefined) {
    clean = await vscode.window.showInputBox({ title: `${title}: clean prompt`, prompt: 'The prompt whose activations are patched in', value: readSettings().defaultPrompt, ignoreFocusOut: true });
    if (!clean) return undefined;
  }
  const corrupted = await vscode.window.showInputBox({
    title: `${title}: corrupted prompt`,
    prompt: `Same number of tokens as the clean prompt: ${JSON.stringify(clean.length > 80 ? `${clean.slice(0, 80)}…` : clean)}`,
    value: clean,
    ignoreFocusOut: true,
    validateInput: (text) => (text.length === 0 ? 'Type the corrupted prompt' : undefined),
  });
  if (!corrupted) return undefined;
  const kind = await vscode.window.showQuickPick<Picked<ExperimentMetric['kind']>>(
    [
      { label: 'Loss', detail: 'Mean next-token loss over the prompt', value: 'loss' },
      { label: 'Logit of target', detail: 'logit(target) at the last position', value: 'logit' },
      { label: 'Logit difference', detail: 'logit(target) − logit(distractor) at the last position', value: 'logitDiff' },
      { label: 'Probability of target', detail: 'P(target) at the last position', value: 'prob' },
    ],
    { title: `${title}: metric`, placeHolder: 'What the sweep measures' },
  );
  if (!kind) return undefined;
  let metric: ExperimentMetric;
  if (kind.value === 'loss') {
    metric = { kind: 'loss' };
  } else {
    const target = await pickToken(session, `${title}: target token`);
    if (target === undefined) return undefined;
    if (kind.value === 'logitDiff') {
      const distractor = await pickToken(session, `${title}: distractor token`);
      if (distractor === undefined) return undefined;
      metric = { kind: 'logitDiff', target, distractor };
    } else {
      metric = { kind: kind.value, target };
    }
  }
  const component = await vscode.window.showQuickPick<Picked<PatchComponent>>(
    [
      { label: 'Heads', detail: 'Each head’s output at every position: layer × head', value: 'heads' },
      { label: 'Layers', detail: 'Attention output per layer and position: layer × position', value: 'attn' },
      { label: 'Residual stream', detail: 'resid_pre per layer and position: layer × position', value: 'resid' },
    ],
    { title: `${title}: component`, placeHolder: 'What to patch from clean into corrupted' },
  );
  if (!component) return undefined;
  return { clean, corrupted, metric, component: component.value };
}

/** A token from the current run's last-position predictions, or typed text (checked to be one token when the sweep runs). */
async function pickToken(session: ModelSession, title: string): Promise<number | string | undefined> {
  const run = session.lastRun?.result;
  const items: Picked<number | undefined>[] = [];
  if (run) {
    const { k, ids, probs, strings } = run.predictions;
    const last = run.tokens.length - 1;
    for (let i = 0; i < k; i++) {
      const at = last * k + i;
      if (at >= ids.length) break;
      items.push({ label: JSON.stringify(strings?.[at] ?? `#${ids[at]}`), description: `id ${ids[at]} · p ${probs[at]!.toFixed(3)}`, value: ids[at]! });
    }
  }
  items.push({ label: '$(edit) Type a token…', description: 'text that the tokenizer keeps as one token', value: undefined });
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: run ? 'A prediction at the last position, or type one' : 'Type a token' });
  if (!picked) return undefined;
  if (picked.value !== undefined) return picked.value;
  const text = await vscode.window.showInputBox({ title, prompt: 'One token, e.g. " Mary" (leading spaces count)', ignoreFocusOut: true });
  return text ? text : undefined;
}
