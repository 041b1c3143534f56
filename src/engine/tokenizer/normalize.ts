/**
 * The normalizer, applied here to a section of the text while keeping track of where each
 * normalized character came from: Hugging Face aligns normalized text to the original, and the
 * offsets must land on the original.
 */

import { isObject, type Json } from './json';

/** One normalization step we can follow character by character. */
export type NormStep =
  | { kind: 'lowercase' }
  | { kind: 'unicode'; form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD' }
  | { kind: 'strip-marks' }
  | { kind: 'replace'; pattern: string; content: string };

/** Normalized characters (code points), each with the original UTF-16 range it stands for. */
export interface AlignedChars {
  chars: string[];
  originalStart: number[];
  originalEnd: number[];
}

/**
 * The steps of a normalizer, from its components (Sequence members in order). Prepend is not a
 * step: it is read as the prefix rule (see pipeline.ts).
 */
export function normalizationSteps(normalizers: readonly Json[]): NormStep[] {
  return normalizers.flatMap((node): NormStep[] => {
    switch (node.type) {
      case 'Lowercase':
        return [{ kind: 'lowercase' }];
      case 'NFC':
      case 'NFD':
      case 'NFKC':
      case 'NFKD':
        return [{ kind: 'unicode', form: node.type }];
      case 'StripAccents':
        return [{ kind: 'strip-marks' }];
      case 'Replace': {
        const pattern = isObject(node.pattern) ? node.pattern.String : undefined;
        return typeof pattern === 'string' && typeof node.content === 'string'
          ? [{ kind: 'replace', pattern, content: node.content }]
          : [];
      }
      case 'BertNormalizer': {
        // clean_text and handle_chinese_chars are left out: they drop control characters and
        // change or add whitespace, and the aligner skips text that no token holds.
        const lowercase = node.lowercase !== false;
        const strip = node.strip_accents === null || node.strip_accents === undefined ? lowercase : node.strip_accents === true;
        const steps: NormStep[] = [];
        if (lowercase) steps.push({ kind: 'lowercase' });
        if (strip) steps.push({ kind: 'unicode', form: 'NFD' }, { kind: 'strip-marks' });
        return steps;
      }
      default:
        // Precompiled, Strip, Replace with a regex...: treated as the identity. Tokens they
        // change are placed from their neighbours.
        return [];
    }
  });
}

const MARK = /^\p{M}$/u;

/** Whether `next` changes how `run` normalizes (it composes with it, or reorders with its marks). */
function joins(run: string, next: string, form: string): boolean {
  return (run + next).normalize(form) !== run.normalize(form) + next.normalize(form);
}

/** The characters after one step, each still aligned to the original text. */
export function applyStep(input: AlignedChars, step: NormStep): AlignedChars {
  const out: AlignedChars = { chars: [], originalStart: [], originalEnd: [] };
  const push = (c: string, start: number, end: number): void => {
    out.chars.push(c);
    out.originalStart.push(start);
    out.originalEnd.push(end);
  };
  /** Pushes a character that stands for input character `i`. */
  const pushFor = (c: string, i: number): void => push(c, input.originalStart[i], input.originalEnd[i]);
  const n = input.chars.length;
  switch (step.kind) {
    case 'lowercase':
      // One character in, any number out: every output character stands for the input one.
      for (let i = 0; i < n; i++) for (const c of input.chars[i].toLowerCase()) pushFor(c, i);
      return out;
    case 'strip-marks':
      for (let i = 0; i < n; i++) if (!MARK.test(input.chars[i])) pushFor(input.chars[i], i);
      return out;
    case 'unicode': {
      // Normalize runs of characters that interact (a base and the marks composed with it,
      // Hangul jamo), one run at a time. Aligned as Hugging Face does: the first output character
      // stands for the first input one, the last outputs for the last inputs (characters swallowed
      // by a composition are covered by nothing), and extra outputs of a decomposition stand for
      // the last input.
      let i = 0;
      while (i < n) {
        let run = input.chars[i];
        let j = i + 1;
        // (Below U+0300 nothing combines with what precedes it: the usual case costs no normalize.)
        while (j < n && (input.chars[j].codePointAt(0) ?? 0) >= 0x300 && joins(run, input.chars[j], step.form)) {
          run += input.chars[j];
          j++;
        }
        const k = j - i;
        const normalized = Array.from(run.normalize(step.form));
        const m = normalized.length;
        for (let q = 0; q < m; q++) {
          const source = m <= k ? (q === 0 ? 0 : k - m + q) : Math.min(q, k - 1);
          pushFor(normalized[q], i + source);
        }
        i = j;
      }
      return out;
    }
    case 'replace': {
      // Every character of the replacement stands for the whole matched pattern.
      const pattern = Array.from(step.pattern);
      const content = Array.from(step.content);
      let i = 0;
      while (i < n) {
        let hit = pattern.length > 0 && i + pattern.length <= n;
        for (let k = 0; hit && k < pattern.length; k++) if (input.chars[i + k] !== pattern[k]) hit = false;
        if (!hit) {
          pushFor(input.chars[i], i);
          i++;
          continue;
        }
        const start = input.originalStart[i];
        const end = input.originalEnd[i + pattern.length - 1];
        for (const c of content) push(c, start, end);
        i += pattern.length;
      }
      return out;
    }
  }
}
