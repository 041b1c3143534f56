/** Text forms of interventions and tokens, shared by the CLI and experiment files. */
import type { AblationMethod, Intervention } from '../../protocol/engine';
import { EngineError } from '../errors';
import type { TransformerModel } from '../model/model';

const METHODS: readonly AblationMethod[] = ['zero', 'mean', 'resample'];

/** "L.H[:method]" for a head, "L[:method]" for an attention or MLP layer; method defaults to zero. */
export function parseIntervention(text: string, kind: Intervention['kind']): Intervention {
  const match = kind === 'head' ? /^(\d+)\.(\d+)(?::(\w+))?$/.exec(text.trim()) : /^(\d+)(?::(\w+))?$/.exec(text.trim());
  const form = kind === 'head' ? 'L.H[:zero|mean|resample], e.g. 1.3:mean' : 'L[:zero|mean|resample], e.g. 0:mean';
  if (!match) throw new EngineError('BAD_ARGUMENT', `cannot read ${kind === 'head' ? 'head' : `${kind} layer`} "${text}" (expected ${form})`);
  const method = (kind === 'head' ? match[3] : match[2]) ?? 'zero';
  if (!METHODS.includes(method as AblationMethod)) {
    throw new EngineError('BAD_ARGUMENT', `unknown ablation method "${method}" in "${text}" (expected zero, mean or resample)`);
  }
  const layer = Number(match[1]);
  return kind === 'head'
    ? { kind, layer, head: Number(match[2]), method: method as AblationMethod }
    : { kind, layer, method: method as AblationMethod };
}

/**
 * A metric token given as an id (a number, or digits when the model has no tokenizer) or as text
 * that must tokenize to exactly one token.
 */
export function singleToken(model: TransformerModel, token: number | string, role = 'target'): number {
  if (typeof token === 'number') return token;
  if (!model.tokenizer && /^\d+$/.test(token)) return Number(token);
  if (!model.tokenizer) model.tokenize(token); // throws NO_TOKENIZER
  const { ids } = model.tokenizer!.encode(token, { addSpecialTokens: false });
  if (ids.length !== 1) {
    const pieces = ids.map((id) => JSON.stringify(model.tokenizer!.tokenString(id))).join(', ');
    throw new EngineError('BAD_ARGUMENT', `the ${role} "${token}" must be a single token, but the tokenizer splits it into ${ids.length}: ${pieces}`);
  }
  return ids[0]!;
}
