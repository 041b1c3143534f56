/**
 * Prompts and metric tokens as token ids, through the loaded model's tokenizer (a pattern-free
 * engine run). Nothing here touches `vscode`: the session provides the engine and error reporting.
 */
import type { Metric, RunResult } from '../protocol/engine';
import type { ExperimentMetric, ExperimentToken } from '../protocol/experiment';
import type { PromptInput, RequestOrigin, SessionRequests } from './sessionTypes';

export interface TokenizedPrompt {
  tokens: number[];
  strings: string[];
  offsets?: readonly (readonly [number, number])[];
}

/** Token ids (and strings, offsets) of a text prompt; ids pass through as they are. */
export async function tokenize(host: SessionRequests, prompt: PromptInput, origin: RequestOrigin): Promise<TokenizedPrompt | undefined> {
  if (typeof prompt !== 'string') return { tokens: [...prompt], strings: prompt.map(String) };
  const result = await host.request<RunResult>({ type: 'run', prompt, patterns: false, topK: 1 }, origin);
  if (!result) return undefined;
  return { tokens: [...result.tokens], strings: [...(result.tokenStrings ?? result.tokens.map(String))], offsets: result.offsets };
}

/** A metric token: an id, or text that must tokenize to exactly one token (special tokens such as a BOS aside). */
export async function singleToken(host: SessionRequests, token: ExperimentToken, role: string, origin: RequestOrigin): Promise<number | undefined> {
  if (typeof token === 'number') return token;
  if (host.model && !host.model.card.tokenizer && /^\d+$/.test(token)) return Number(token);
  const encoded = await tokenize(host, token, origin);
  if (!encoded) return undefined;
  const own = encoded.tokens.map((id, i) => ({ id, text: encoded.strings[i]!, offset: encoded.offsets?.[i] })).filter((t) => !t.offset || t.offset[1] > t.offset[0]);
  if (own.length !== 1) {
    host.fail(`The ${role} "${token}" must be a single token, but the tokenizer splits it into ${own.length}: ${own.map((t) => JSON.stringify(t.text)).join(', ')}.`, origin);
    return undefined;
  }
  return own[0]!.id;
}

/** The engine's metric for an experiment metric (text tokens resolved). */
export async function resolveMetric(host: SessionRequests, metric: ExperimentMetric, origin: RequestOrigin): Promise<Metric | undefined> {
  switch (metric.kind) {
    case 'loss':
      return { kind: 'loss' };
    case 'logitDiff': {
      const target = await singleToken(host, metric.target, 'target', origin);
      const distractor = target === undefined ? undefined : await singleToken(host, metric.distractor, 'distractor', origin);
      return target === undefined || distractor === undefined ? undefined : { kind: 'logitDiff', target, distractor };
    }
    case 'logit':
    case 'prob': {
      const target = await singleToken(host, metric.target, 'target', origin);
      return target === undefined ? undefined : { kind: metric.kind, target };
    }
  }
}
