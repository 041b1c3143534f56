/** What the aligner looks for in the text to place a token, by the kind of vocabulary. */

import { plainUnits, type TokenPlan } from './alignSection';
import { byteLevelBytes } from './byteLevel';
import { metaspaceUnits } from './metaspace';
import type { Pipeline } from './pipeline';
import { utf8 } from './text';

/** The plan of `token`; `added`: it is an added token, written in the text as it is. */
export function planToken(token: string, pipeline: Pipeline, added: boolean): TokenPlan {
  if (pipeline.unkToken !== undefined && token === pipeline.unkToken) return { units: [], unknown: true };
  if (added) return { units: plainUnits(utf8(token)), unknown: false };
  switch (pipeline.strategy) {
    case 'byte-level':
      return { units: plainUnits(byteLevelBytes(token)), unknown: false };
    case 'metaspace':
      return { units: metaspaceUnits(token, pipeline), unknown: false };
    default:
      return { units: plainUnits(utf8(undecorated(token, pipeline))), unknown: false };
  }
}

/**
 * Any other vocabulary: the token string is the text, less WordPiece's continuing-subword
 * prefix (`##s`) or a BPE end-of-word suffix (`the</w>`).
 */
function undecorated(token: string, pipeline: Pipeline): string {
  const { continuingPrefix, wordSuffix } = pipeline;
  let text = token;
  if (continuingPrefix && text.startsWith(continuingPrefix) && text.length > continuingPrefix.length) {
    text = text.slice(continuingPrefix.length);
  }
  if (wordSuffix && text.endsWith(wordSuffix)) text = text.slice(0, -wordSuffix.length);
  return text;
}
