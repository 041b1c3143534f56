/** How tokens are shown: whitespace made visible, control characters named, long tokens cut. Pure. */

/** A piece of a token's display text; `ws` pieces are stand-ins for whitespace or control characters. */
export interface TokenSegment {
  readonly text: string;
  readonly ws: boolean;
}

const WHITESPACE: Readonly<Record<string, string>> = {
  ' ': '·',
  '\t': '→',
  '\n': '↵',
  '\r': '␍',
  '\u00a0': '⍽',
  '\u3000': '□',
  '\u200b': '␣',
  '\f': '␌',
  '\v': '␋',
};

/** The visible stand-in of one character, or undefined when it shows as itself. */
function standIn(ch: string): string | undefined {
  const mapped = WHITESPACE[ch];
  if (mapped !== undefined) return mapped;
  const code = ch.codePointAt(0)!;
  // C0 controls → the Control Pictures block (U+2400 + code); DEL → ␡.
  if (code < 0x20) return String.fromCodePoint(0x2400 + code);
  if (code === 0x7f) return '␡';
  return undefined;
}

/**
 * Splits a token's text into runs of ordinary text and runs of visible whitespace:
 * space → ·, tab → →, newline → ↵ (a CRLF pair shows as one ↵), other controls as their pictures.
 * The empty token shows as ∅.
 */
export function tokenSegments(token: string): TokenSegment[] {
  if (token.length === 0) return [{ text: '∅', ws: true }];
  const out: TokenSegment[] = [];
  let text = '';
  let ws = false;
  const chars = Array.from(token.replace(/\r\n/g, '\n'));
  for (const ch of chars) {
    const stand = standIn(ch);
    const isWs = stand !== undefined;
    if (text.length > 0 && isWs !== ws) {
      out.push({ text, ws });
      text = '';
    }
    ws = isWs;
    text += stand ?? ch;
  }
  if (text.length > 0) out.push({ text, ws });
  return out;
}

/** The token's display text as one string (space → ·, tab → →, newline → ↵, …). */
export function visibleWhitespace(token: string): string {
  return tokenSegments(token)
    .map((s) => s.text)
    .join('');
}

/** Cuts a label to at most `max` characters (code points), ending with … when cut. */
export function truncateLabel(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return chars.slice(0, Math.max(1, max - 1)).join('') + '…';
}

/** The label of a token on an axis or in a table: visible whitespace, cut to `max`. */
export function tokenLabel(token: string, max = 16): string {
  return truncateLabel(visibleWhitespace(token), max);
}

/** True when the token ends a line (the strip breaks after it, as the prompt does). */
export function endsLine(token: string): boolean {
  return token.endsWith('\n');
}
