/** Ablations, activation patching and the metrics they are measured by. */
export { ablate, type AblateRequest } from './ablate';
export { ablationHooks, interventionHook, replaceMasked, type AblationHooks, type AblationSources } from './hooks';
export { metricForwardOptions, metricLabel, metricValues } from './metric';
export { normalizedRestoration, patchSweep, type PatchOptions, type PatchRequest } from './patch';
export { checkIntervention, checkMetric, checkSameLength, interventionLabel } from './validate';
export { parseIntervention, singleToken } from './parse';
export { ablationResultsJson, parseExperiment, patchResultsJson, resolveMetric, runExperiment } from './experiment';
