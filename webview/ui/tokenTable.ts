/** A ranked list of tokens with values (skip-trigram tables): rank, token with visible whitespace, a bar, the value. */
import { formatNumber } from '../lib/format';
import { listMaxAbs, tokenRows } from '../lib/skipTrigrams';
import { tokenSegments } from '../lib/tokens';
import type { TokenList } from '../../src/protocol/engine';
import { clear, el } from './dom';

/** A token's text with visible whitespace, as DOM. */
export function tokenText(token: string, cls = 'token-text'): HTMLElement {
  const span = el('span', { class: cls });
  for (const seg of tokenSegments(token)) span.appendChild(seg.ws ? el('span', { class: 'ws', text: seg.text }) : document.createTextNode(seg.text));
  return span;
}

export class TokenTable {
  readonly element: HTMLElement;
  private readonly titleEl: HTMLElement;
  private readonly body: HTMLTableSectionElement;

  constructor(valueName: string) {
    this.titleEl = el('div', { class: 'token-table-title' });
    this.body = el('tbody');
    this.element = el(
      'div',
      { class: 'token-table' },
      this.titleEl,
      el('table', { class: 'data-table' }, el('thead', {}, el('tr', {}, el('th', { class: 'numeric', text: '#' }), el('th', { text: 'Token' }), el('th', { class: 'numeric', text: valueName }))), this.body),
    );
  }

  /** The title: text parts and token chips. */
  setTitle(...parts: (string | HTMLElement)[]): void {
    clear(this.titleEl);
    this.titleEl.append(...parts);
  }

  set(list: TokenList): void {
    clear(this.body);
    const max = listMaxAbs(list);
    for (const r of tokenRows(list)) {
      const fill = el('span', { class: r.value < 0 ? 'score-fill negative' : 'score-fill' });
      fill.style.left = '0';
      fill.style.width = `${max > 0 ? (Math.abs(r.value) / max) * 100 : 0}%`;
      this.body.appendChild(
        el(
          'tr',
          {},
          el('td', { class: 'numeric hint', text: String(r.rank) }),
          el('td', { class: 'token-cell', title: `id ${r.id}` }, tokenText(r.text, 'token-text chip-like')),
          el('td', { class: 'numeric score-cell' }, el('span', { class: 'score' }, el('span', { class: 'score-track' }, fill), el('span', { class: 'score-value', text: formatNumber(r.value, 3) }))),
        ),
      );
    }
  }
}
