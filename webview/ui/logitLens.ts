/**
 * The logit lens as a table: one row per point in the residual stream (after the embeddings, after
 * each layer), one column per position; each cell the top prediction read off there through the
 * unembedding, with its probability, shaded by it. The last row is the model's own prediction.
 * The picked position's column stands out; clicking a column header picks it.
 */
import { cssColor, mix, readableOn, type Palette } from '../lib/color';
import { formatProb } from '../lib/format';
import type { LensTable } from '../lib/attribution';
import { tokenLabel, visibleWhitespace } from '../lib/tokens';
import { clear, el } from './dom';

export interface LogitLensOptions {
  readonly onPick: (position: number) => void;
}

export class LogitLens {
  readonly element: HTMLElement;
  private readonly table: HTMLTableElement;
  private shown: { table: LensTable; tokens: readonly string[] } | undefined;
  private picked: number | undefined;

  constructor(private readonly options: LogitLensOptions) {
    this.table = el('table', { class: 'data-table lens-table' });
    this.element = el('div', { class: 'table-scroll lens-scroll' }, this.table);
    this.table.addEventListener('click', (e) => {
      const th = e.target instanceof Element ? e.target.closest<HTMLElement>('[data-pos]') : null;
      if (th) this.options.onPick(Number(th.dataset.pos));
    });
  }

  set(table: LensTable, tokens: readonly string[], palette: Palette): void {
    this.shown = { table, tokens };
    clear(this.table);
    const head = el('tr', {}, el('th', { class: 'lens-corner', text: 'after ↓ · position →' }));
    for (let pos = 0; pos < table.positions; pos++) {
      head.appendChild(el('th', { class: 'lens-pos', title: `#${pos} “${visibleWhitespace(tokens[pos] ?? '')}” — click to attribute here`, attrs: { 'data-pos': String(pos), scope: 'col' } }, el('span', { class: 'hint', text: String(pos) }), el('span', { class: 'token-text', text: tokenLabel(tokens[pos] ?? '', 10) })));
    }
    const body = el('tbody');
    table.cells.forEach((row, r) => {
      const tr = el('tr', {}, el('th', { class: 'lens-row', text: table.rowLabels[r] ?? '', attrs: { scope: 'row' } }));
      row.forEach((list, pos) => {
        const top = list[0];
        const td = el('td', { class: 'lens-cell', attrs: { 'data-col': String(pos) } });
        if (top) {
          const shade = mix(palette.low, palette.accent, Math.max(0, Math.min(1, top.prob)));
          td.style.backgroundColor = cssColor(shade);
          td.style.color = cssColor(readableOn(shade, palette.foreground, palette.background));
          td.title = list.map((c) => `${visibleWhitespace(c.text)}  ${formatProb(c.prob)}`).join('\n');
          td.append(el('span', { class: 'token-text', text: tokenLabel(top.text, 10) }), el('span', { class: 'lens-prob', text: formatProb(top.prob) }));
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    this.table.append(el('thead', {}, head), body);
    const picked = this.picked;
    this.picked = undefined;
    this.setPicked(picked);
  }

  /** Outlines the column of the position being attributed. */
  setPicked(pos: number | undefined): void {
    if (pos === this.picked) return;
    for (const cell of this.table.querySelectorAll('.picked')) cell.classList.remove('picked');
    this.picked = pos;
    if (pos === undefined) return;
    for (const cell of this.table.querySelectorAll(`[data-pos="${pos}"], [data-col="${pos}"]`)) cell.classList.add('picked');
    this.scrollToPicked();
  }

  /** Brings the picked column into view inside the table's own scroller (never scrolls the page); call again once the tab shows. */
  scrollToPicked(): void {
    const th = this.picked === undefined ? null : this.table.querySelector<HTMLElement>(`[data-pos="${this.picked}"]`);
    const scroller = this.element;
    if (!th || scroller.clientWidth <= 0) return;
    const header = this.table.querySelector<HTMLElement>('.lens-corner')?.offsetWidth ?? 0;
    const left = th.offsetLeft;
    const right = left + th.offsetWidth;
    if (left < scroller.scrollLeft + header) scroller.scrollLeft = Math.max(0, left - header - 40);
    else if (right > scroller.scrollLeft + scroller.clientWidth) scroller.scrollLeft = right - scroller.clientWidth + 40;
  }

  /** Theme changed: shade again. */
  repaint(palette: Palette): void {
    if (this.shown) this.set(this.shown.table, this.shown.tokens, palette);
  }
}
