/**
 * The offsets of an encoding: the text is split on added tokens as the tokenizer does, and the
 * tokens of each section in between are aligned to its normalized bytes (alignSection.ts).
 */

import type { AddedTokenSplitter } from './addedTokens';
import { alignSection, type Range, type TokenPlan } from './alignSection';
import { trimOffsets } from './byteLevel';
import { normalizedView, type NormalizedView } from './normalizedView';
import type { Pipeline } from './pipeline';
import { planToken } from './tokenPlan';

export class OffsetFinder {
  /** The plan of each token string seen (bounded by the vocabulary). */
  private readonly plans = new Map<string, TokenPlan>();

  constructor(
    private readonly pipeline: Pipeline,
    private readonly splitter: AddedTokenSplitter,
    private readonly isAdded: (token: string) => boolean,
  ) {}

  /**
   * Offsets of the post-processed `tokens` of `text`, of which `own` are the text's own tokens
   * (encoded without special tokens). The tokens the post-processor added get `[0, 0]`.
   */
  offsets(text: string, tokens: readonly string[], own: readonly string[]): Range[] {
    const offsets = tokens.map((): Range => [0, 0]);
    // The text's own tokens are a contiguous run of the post-processed ones.
    const at = findRun(tokens, own);
    if (at < 0) return offsets;
    try {
      this.ownOffsets(text, own).forEach((o, i) => (offsets[at + i] = o));
    } catch {
      // Never fail because of offsets: they stay [0, 0].
    }
    return offsets;
  }

  /** Offsets of the text's own tokens. */
  private ownOffsets(text: string, tokens: readonly string[]): Range[] {
    const offsets = new Array<Range>(tokens.length);
    const spans = this.splitter.split(text);
    // For each span, the content of the next added token written in the text.
    const nextAdded = new Array<string | undefined>(spans.length);
    for (let i = spans.length - 1, next: string | undefined; i >= 0; i--) {
      nextAdded[i] = next;
      const added = spans[i].added;
      if (added !== undefined) next = added.content;
    }
    let t = 0;
    spans.forEach((span, index) => {
      if (span.added !== undefined && tokens[t] === span.added.content) {
        offsets[t++] = [span.start, span.end];
        return;
      }
      // The tokens of this stretch of text run up to the next added token written in the text.
      const next = nextAdded[index];
      const from = t;
      while (t < tokens.length && tokens[t] !== next) t++;
      if (t === from) return;
      const view = normalizedView(text, span.start, span.end, this.pipeline.steps);
      const plans = tokens.slice(from, t).map((token) => this.plan(token));
      alignSection(view, plans, this.prefixed(view, index), span.end).forEach((o, k) => (offsets[from + k] = o));
    });
    // Tokens that no span took get an empty range at the end of the text.
    for (; t < tokens.length; t++) offsets[t] = [text.length, text.length];
    for (const rule of this.pipeline.trims) trimOffsets(tokens, offsets, rule);
    return offsets;
  }

  /** Whether the tokenizer puts a space in front of this section of text. */
  private prefixed(view: NormalizedView, sectionIndex: number): boolean {
    const first = view.first;
    if (first === undefined) return false;
    const startsWithSpace = first === ' ' || first === this.pipeline.spaceChar;
    switch (this.pipeline.prefix) {
      case 'always':
        return true;
      case 'unless-space':
        return !startsWithSpace;
      case 'first-unless-space':
        return sectionIndex === 0 && !startsWithSpace;
      default:
        return false;
    }
  }

  private plan(token: string): TokenPlan {
    let plan = this.plans.get(token);
    if (plan === undefined) {
      plan = planToken(token, this.pipeline, this.isAdded(token));
      this.plans.set(token, plan);
    }
    return plan;
  }
}

/** Index where `run` starts inside `all`, or -1. */
function findRun(all: readonly string[], run: readonly string[]): number {
  for (let at = 0; at + run.length <= all.length; at++) {
    let ok = true;
    for (let k = 0; ok && k < run.length; k++) ok = all[at + k] === run[k];
    if (ok) return at;
  }
  return -1;
}
