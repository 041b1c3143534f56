/**
 * The session's interventions: the active ablations (with the corrupted and reference prompts they
 * take activations from), ablation and activation-patching runs, and the last result with its
 * experiment draft for Save as Experiment. Nothing here touches `vscode`: the session provides the
 * engine, progress, error reporting and the events.
 */
import type { AblationResult, Intervention, PatchResult } from '../protocol/engine';
import type { ExperimentResults } from '../protocol/experiment';
import { ablationResultsJson, patchResultsJson, type ExperimentDraft } from './experimentFile';
import { metricLabel, mergeInterventions, needsCorrupted } from './interventions';
import { resolveMetric, tokenize } from './promptTokens';
import type { AblationSpec, InterventionMessage, PatchSpec, PromptInput, RequestOrigin, SessionRequests } from './sessionTypes';

/** What the session offers this module, beyond its requests. */
export interface InterventionHost extends SessionRequests {
  /** The active ablations changed. */
  ablationsChanged(list: readonly Intervention[]): void;
  /** An ablation or patching run finished. */
  interventionRan(message: InterventionMessage): void;
}

/** The tokens a prompt run under the active ablations needs besides its own. */
export interface AblatedRunInputs {
  readonly ablations: readonly Intervention[];
  readonly corrupted?: number[];
  readonly reference?: number[];
}

export class InterventionRuns {
  private ablationsValue: readonly Intervention[] = [];
  /** The corrupted prompt resample ablations take their activations from. */
  private ablationCorruptedValue: string | undefined;
  /** Reference prompt of the active mean ablations (undefined: mean over the analyzed prompt). */
  private ablationReferenceValue: string | undefined;
  private resultCounter = 0;
  private interventionValue: { readonly message: InterventionMessage; readonly draft: ExperimentDraft } | undefined;

  constructor(private readonly host: InterventionHost) {}

  /** The active ablations: runs from the panel and Analyze Selection apply them (through the engine's `ablate`). */
  get ablations(): readonly Intervention[] {
    return this.ablationsValue;
  }
  get ablationCorrupted(): string | undefined {
    return this.ablationCorruptedValue;
  }
  get ablationReference(): string | undefined {
    return this.ablationReferenceValue;
  }
  /** The last ablation or patching run, for the panel's replay and Save as Experiment. */
  get lastIntervention(): { readonly message: InterventionMessage; readonly draft: ExperimentDraft } | undefined {
    return this.interventionValue;
  }

  /** Adds interventions to the active ones (a component already ablated takes the new method). */
  addAblations(added: readonly Intervention[], corrupted?: string, reference?: string): void {
    if (corrupted !== undefined) this.ablationCorruptedValue = corrupted;
    if (added.some((i) => i.method === 'mean')) this.ablationReferenceValue = reference;
    this.setAblations(mergeInterventions(this.ablationsValue, added));
  }

  clearAblations(): void {
    this.ablationCorruptedValue = undefined;
    this.ablationReferenceValue = undefined;
    this.setAblations([]);
  }

  /** A model finished loading: the last result goes; another model (other heads and layers) drops the ablations too. */
  modelLoaded(sameModel: boolean): void {
    this.interventionValue = undefined;
    if (!sameModel && this.ablationsValue.length > 0) this.clearAblations();
  }

  /** The active ablations and the tokens of their corrupted and reference prompts, for a prompt run; undefined (error shown) on failure. */
  async runInputs(origin: RequestOrigin): Promise<AblatedRunInputs | undefined> {
    const ablations = this.ablationsValue;
    let corrupted: number[] | undefined;
    if (ablations.length > 0 && needsCorrupted(ablations) && this.ablationCorruptedValue !== undefined) {
      corrupted = (await tokenize(this.host, this.ablationCorruptedValue, origin))?.tokens;
      if (!corrupted) return undefined;
    }
    let reference: number[] | undefined;
    if (ablations.length > 0 && this.ablationReferenceValue !== undefined) {
      reference = (await tokenize(this.host, this.ablationReferenceValue, origin))?.tokens;
      if (!reference) return undefined;
    }
    return { ablations, ...(corrupted ? { corrupted } : {}), ...(reference ? { reference } : {}) };
  }

  /**
   * After a prompt run (itself ablated): the metric before → after and the changed last-position
   * predictions for the panel, from an `ablate` request on the same tokens. Nothing without ablations.
   */
  async ablateRun(tokens: readonly number[], prompt: string, origin: RequestOrigin): Promise<void> {
    if (this.ablationsValue.length === 0) return;
    await this.ablate(
      {
        prompt: tokens,
        interventions: this.ablationsValue,
        metric: { kind: 'loss' },
        corrupted: this.ablationCorruptedValue,
        ...(this.ablationReferenceValue !== undefined ? { reference: this.ablationReferenceValue } : {}),
      },
      origin,
      prompt,
    );
  }

  /**
   * Runs the prompt with and without the interventions (cancellable progress) and posts the
   * metric before → after; undefined (error shown) on failure. `shownPrompt` names the prompt in the panel.
   */
  async ablate(spec: AblationSpec, origin: RequestOrigin, shownPrompt?: string): Promise<{ result: AblationResult; tokens: number[]; results: ExperimentResults } | undefined> {
    const model = this.host.model;
    if (!model || !this.requireModel(origin)) return undefined;
    if (spec.interventions.length === 0) {
      this.host.fail('Nothing to ablate: pick at least one head or layer.', origin);
      return undefined;
    }
    const prompt = await tokenize(this.host, spec.prompt, origin);
    const metric = prompt && (await resolveMetric(this.host, spec.metric, origin));
    if (!prompt || !metric) return undefined;
    let corrupted: number[] | undefined;
    if (needsCorrupted(spec.interventions)) {
      if (spec.corrupted === undefined) {
        this.host.fail('Resample ablation needs a corrupted prompt of the same token length.', origin);
        return undefined;
      }
      corrupted = (await tokenize(this.host, spec.corrupted, origin))?.tokens;
      if (!corrupted) return undefined;
      if (corrupted.length !== prompt.tokens.length) {
        this.host.fail(`The corrupted prompt has ${corrupted.length} tokens and the prompt ${prompt.tokens.length}: resample ablation needs the same token length.`, origin);
        return undefined;
      }
    }
    const reference = spec.reference !== undefined ? (await tokenize(this.host, spec.reference, origin))?.tokens : undefined;
    if (spec.reference !== undefined && !reference) return undefined;
    const result = await this.host.request<AblationResult>(
      { type: 'ablate', tokens: prompt.tokens, interventions: spec.interventions, metric, ...(corrupted ? { corrupted } : {}), ...(reference ? { reference } : {}) },
      origin,
      { title: 'Ablating', done: 'ablation done' },
    );
    if (!result || this.host.model !== model) return undefined;
    const results = ablationResultsJson(prompt.tokens, result);
    const message: InterventionMessage = {
      type: 'ablationResult',
      resultId: ++this.resultCounter,
      prompt: shownPrompt ?? (typeof spec.prompt === 'string' ? spec.prompt : prompt.strings.join('')),
      tokenStrings: prompt.strings,
      metricLabel: metricLabel(spec.metric),
      result,
      saveable: true,
    };
    const draft: ExperimentDraft = {
      modelPath: model.path,
      prompt: typeof spec.prompt === 'string' ? spec.prompt : [...spec.prompt],
      ...(spec.corrupted !== undefined && corrupted ? { corrupted: typeof spec.corrupted === 'string' ? spec.corrupted : [...spec.corrupted] } : {}),
      interventions: spec.interventions,
      metric: spec.metric,
      results,
    };
    this.finished(message, draft);
    return { result, tokens: prompt.tokens, results };
  }

  /** An activation-patching sweep with cancellable progress; posts the grid. Undefined (error shown, or cancelled) on failure. */
  async patch(spec: PatchSpec, origin: RequestOrigin): Promise<{ result: PatchResult; results: ExperimentResults } | undefined> {
    const model = this.host.model;
    if (!model || !this.requireModel(origin)) return undefined;
    const clean = await tokenize(this.host, spec.clean, origin);
    const corrupted = clean && (await tokenize(this.host, spec.corrupted, origin));
    if (!clean || !corrupted) return undefined;
    if (clean.tokens.length !== corrupted.tokens.length) {
      this.host.fail(`The clean prompt has ${clean.tokens.length} tokens and the corrupted one ${corrupted.tokens.length}: patching needs the same token length.`, origin);
      return undefined;
    }
    const metric = await resolveMetric(this.host, spec.metric, origin);
    if (!metric) return undefined;
    const result = await this.host.request<PatchResult>(
      { type: 'patch', clean: clean.tokens, corrupted: corrupted.tokens, component: spec.component, metric },
      origin,
      { title: `Patching ${spec.component}`, done: 'patching done' },
    );
    if (!result || this.host.model !== model) return undefined;
    const results = patchResultsJson(result);
    const text = (p: PromptInput, strings: string[]) => (typeof p === 'string' ? p : strings.join(''));
    const message: InterventionMessage = {
      type: 'patchResult',
      resultId: ++this.resultCounter,
      clean: text(spec.clean, clean.strings),
      corrupted: text(spec.corrupted, corrupted.strings),
      metricLabel: metricLabel(spec.metric),
      result,
      saveable: true,
    };
    const copy = (p: PromptInput) => (typeof p === 'string' ? p : [...p]);
    const draft: ExperimentDraft = { modelPath: model.path, prompt: copy(spec.clean), corrupted: copy(spec.corrupted), patch: { component: spec.component }, metric: spec.metric, results };
    this.finished(message, draft);
    return { result, results };
  }

  private finished(message: InterventionMessage, draft: ExperimentDraft): void {
    this.interventionValue = { message, draft };
    this.host.interventionRan(message);
  }

  private setAblations(list: readonly Intervention[]): void {
    this.ablationsValue = list;
    if (!needsCorrupted(list)) this.ablationCorruptedValue = undefined;
    if (!list.some((i) => i.method === 'mean')) this.ablationReferenceValue = undefined;
    this.host.ablationsChanged(list);
  }

  private requireModel(origin: RequestOrigin): boolean {
    if (this.host.model) return true;
    this.host.fail('Load a model first: Circuit Inspector: Inspect Model.', origin);
    return false;
  }
}
