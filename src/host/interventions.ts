/**
 * Words and bookkeeping for the session's active ablations: labels for quick picks, the status bar
 * and notifications, merging newly picked components into the active list, and metric labels.
 * Pure (no vscode), so it is unit-tested.
 */
import type { AblationMethod, Intervention, Metric } from '../protocol/engine';
import type { ExperimentMetric } from '../protocol/experiment';
import { interventionLabel } from '../protocol/interventions';

export { interventionLabel };

export const ABLATION_METHODS: readonly { readonly method: AblationMethod; readonly label: string; readonly detail: string }[] = [
  { method: 'zero', label: 'Zero', detail: 'Replace the activation with 0' },
  { method: 'mean', label: 'Mean', detail: 'Replace it with its mean over the prompt’s positions' },
  { method: 'resample', label: 'Resample', detail: 'Replace it with its activation on a corrupted prompt of the same token length' },
];

/** The component an intervention replaces (two interventions on one component: the later wins). */
export function interventionKey(i: Intervention): string {
  return i.kind === 'head' ? `head:${i.layer}:${i.head}` : `${i.kind}:${i.layer}`;
}

/** `current` with `added` applied: a component already ablated takes the new method, in place; new ones go last. */
export function mergeInterventions(current: readonly Intervention[], added: readonly Intervention[]): Intervention[] {
  const out = [...current];
  for (const next of added) {
    const at = out.findIndex((i) => interventionKey(i) === interventionKey(next));
    if (at >= 0) out[at] = next;
    else out.push(next);
  }
  return out;
}

/** Whether any intervention resamples (it needs a corrupted prompt). */
export function needsCorrupted(interventions: readonly Intervention[]): boolean {
  return interventions.some((i) => i.method === 'resample');
}

/** The status bar's suffix: "· 2 ablated", or '' with none. */
export function ablationStatusText(interventions: readonly Intervention[]): string {
  return interventions.length === 0 ? '' : `· ${interventions.length} ablated`;
}

/** "2 ablated: L0H1 zero, MLP L1 mean" (at most `max` named). */
export function ablationSummary(interventions: readonly Intervention[], max = 6): string {
  if (interventions.length === 0) return 'no ablations';
  const names = interventions.slice(0, max).map(interventionLabel).join(', ');
  return `${interventions.length} ablated: ${names}${interventions.length > max ? `, … (${interventions.length - max} more)` : ''}`;
}

/** Validates user-typed interventions (e.g. a command's arguments) against the model's shape; a message or undefined. */
export function checkInterventions(interventions: readonly Intervention[], layers: number, heads: number): string | undefined {
  for (const i of interventions) {
    if (!['zero', 'mean', 'resample'].includes(i.method)) return `unknown ablation method "${String(i.method)}" (expected zero, mean or resample)`;
    if (!Number.isInteger(i.layer) || i.layer < 0 || i.layer >= layers) return `no layer ${i.layer}: the model has layers 0–${layers - 1}`;
    if (i.kind === 'head' && (!Number.isInteger(i.head) || i.head < 0 || i.head >= heads)) return `no head ${i.layer}.${i.head}: layer ${i.layer} has heads 0–${heads - 1}`;
  }
  return undefined;
}

/** "loss", "logit(␣Paris)", "logit(␣Paris) − logit(␣Rome)", "P(␣Paris)" — tokens shown as given (text or id). */
export function metricLabel(metric: ExperimentMetric | Metric, show: (token: number | string) => string = defaultTokenText): string {
  switch (metric.kind) {
    case 'loss':
      return 'loss';
    case 'logit':
      return `logit(${show(metric.target)})`;
    case 'logitDiff':
      return `logit(${show(metric.target)}) − logit(${show(metric.distractor)})`;
    case 'prob':
      return `P(${show(metric.target)})`;
  }
}

function defaultTokenText(token: number | string): string {
  return typeof token === 'number' ? `#${token}` : JSON.stringify(token);
}
