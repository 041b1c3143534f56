/**
 * Every head with all of its scores, as a sortable table: click a column header to sort (strongest
 * first), click a row to select the head. Each score cell carries a small bar: from the left for
 * fractions of attention, from the middle for signed copying scores.
 */
import { headName } from '../lib/format';
import { HEAD_SCORES, SCORE_INFO, formatScore, nextHeadSort, sortHeadRows, type HeadRow, type HeadSort, type HeadSortKey } from '../lib/heads';
import type { HeadRef } from '../lib/layout';
import { clear, el, icon } from './dom';

export interface HeadsTableOptions {
  readonly onSort: (sort: HeadSort) => void;
  readonly onPick: (head: HeadRef) => void;
}

export class HeadsTable {
  readonly element: HTMLElement;
  private readonly head: HTMLTableSectionElement;
  private readonly body: HTMLTableSectionElement;
  private rowsByHead = new Map<string, HTMLTableRowElement>();
  private shown: { rows: readonly HeadRow[]; sort: HeadSort } | undefined;
  private marks: { selected?: string; partner?: string } = {};

  constructor(private readonly options: HeadsTableOptions) {
    this.head = el('thead');
    this.body = el('tbody');
    this.element = el('div', { class: 'table-scroll heads-table-scroll' }, el('table', { class: 'data-table heads-table' }, this.head, this.body));
    this.body.addEventListener('click', (e) => {
      const tr = e.target instanceof Element ? e.target.closest<HTMLTableRowElement>('tr[data-layer]') : null;
      if (tr) this.options.onPick({ layer: Number(tr.dataset.layer), head: Number(tr.dataset.head) });
    });
    this.body.addEventListener('keydown', (e) => {
      const tr = e.target instanceof Element ? e.target.closest<HTMLTableRowElement>('tr[data-layer]') : null;
      if (!tr) return;
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        this.options.onPick({ layer: Number(tr.dataset.layer), head: Number(tr.dataset.head) });
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        (e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling)?.closest<HTMLElement>('tr')?.focus();
      }
    });
  }

  /** New rows or a new order: rebuilds the table. */
  setRows(rows: readonly HeadRow[], sort: HeadSort): void {
    if (this.shown?.rows === rows && this.shown.sort === sort) return;
    this.shown = { rows, sort };
    this.renderHead(sort);
    clear(this.body);
    this.rowsByHead.clear();
    const frag = document.createDocumentFragment();
    for (const r of sortHeadRows(rows, sort)) {
      const tr = el('tr', { attrs: { 'data-layer': String(r.layer), 'data-head': String(r.head), tabindex: '-1' } }, el('td', { class: 'mono', text: headName(r.layer, r.head) }));
      for (const key of HEAD_SCORES) tr.appendChild(scoreCell(r.scores[key], SCORE_INFO[key].range));
      this.rowsByHead.set(headName(r.layer, r.head), tr);
      frag.appendChild(tr);
    }
    this.body.appendChild(frag);
    (this.body.firstElementChild as HTMLElement | null)?.setAttribute('tabindex', '0');
    const marks = this.marks;
    this.marks = {};
    this.mark(marks);
  }

  /** Highlights the selected head's row and its composition partner's. */
  setMarked(selected: HeadRef | undefined, partner: HeadRef | undefined): void {
    this.mark({ selected: selected && headName(selected.layer, selected.head), partner: partner && headName(partner.layer, partner.head) });
  }

  private mark(next: { selected?: string; partner?: string }): void {
    if (next.selected === this.marks.selected && next.partner === this.marks.partner) return;
    for (const [key, cls] of [
      [this.marks.selected, 'selected'],
      [this.marks.partner, 'partner'],
    ] as const) {
      if (key) this.rowsByHead.get(key)?.classList.remove(cls);
    }
    this.marks = next;
    if (next.selected) this.rowsByHead.get(next.selected)?.classList.add('selected');
    if (next.partner) this.rowsByHead.get(next.partner)?.classList.add('partner');
  }

  private renderHead(sort: HeadSort): void {
    clear(this.head);
    const row = el('tr');
    const columns: { key: HeadSortKey; label: string; title: string }[] = [
      { key: 'head', label: 'Head', title: 'Layer and head' },
      ...HEAD_SCORES.map((k) => ({ key: k, label: SCORE_INFO[k].label, title: SCORE_INFO[k].description })),
    ];
    for (const col of columns) {
      const active = sort.key === col.key;
      const th = el(
        'th',
        { class: col.key === 'head' ? 'sortable' : 'sortable numeric', title: col.title, attrs: { scope: 'col', tabindex: '0', 'data-sort': col.key, 'aria-sort': active ? (sort.descending ? 'descending' : 'ascending') : 'none' } },
        col.label,
        active ? icon(sort.descending ? 'arrow-down' : 'arrow-up', 'sort-icon') : null,
      );
      const toggle = () => this.options.onSort(nextHeadSort(sort, col.key));
      th.addEventListener('click', toggle);
      th.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          toggle();
        }
      });
      row.appendChild(th);
    }
    this.head.appendChild(row);
  }
}

/** A score with its bar: [0, 1] fills from the left, [−1, 1] from the middle (negative in the negative color). */
function scoreCell(v: number, range: 'unit' | 'signed'): HTMLTableCellElement {
  const fill = el('span', { class: v < 0 ? 'score-fill negative' : 'score-fill' });
  const clamped = Number.isFinite(v) ? Math.max(range === 'unit' ? 0 : -1, Math.min(1, v)) : 0;
  if (range === 'unit') {
    fill.style.left = '0';
    fill.style.width = `${clamped * 100}%`;
  } else {
    fill.style.left = `${50 + Math.min(0, clamped) * 50}%`;
    fill.style.width = `${Math.abs(clamped) * 50}%`;
  }
  const track = el('span', { class: range === 'signed' ? 'score-track signed' : 'score-track' }, fill);
  return el('td', { class: 'numeric score-cell' }, el('span', { class: 'score' }, track, el('span', { class: 'score-value', text: formatScore(v) })));
}
