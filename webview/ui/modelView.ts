/** Model tab: the model card, and the checkpoint's tensors as a filterable, sortable table with statistics on request. */
import { toJson } from '../lib/csv';
import { exportFileName, formatBytes, formatShape, modelName } from '../lib/format';
import { cardEntries, filterTensors, sortTensors, statsEntries, tensorsCsv, tensorSummary, type TensorSortKey } from '../lib/model';
import type { ViewState } from '../lib/state';
import type { TensorRow } from '../../src/protocol/engine';
import type { AppContext, View } from './context';
import { action, clear, el, icon, show } from './dom';

const COLUMNS: readonly { key: TensorSortKey; label: string; numeric?: boolean }[] = [
  { key: 'name', label: 'Name' },
  { key: 'shape', label: 'Shape' },
  { key: 'dtype', label: 'Dtype' },
  { key: 'bytes', label: 'Size', numeric: true },
];

export class ModelView implements View {
  readonly element: HTMLElement;
  private readonly cardGrid: HTMLElement;
  private readonly cardPath: HTMLElement;
  private readonly cardSection: HTMLElement;
  /** A GGUF file's own metadata (tokenizer arrays summarized), collapsed by default. */
  private readonly metadataSection: HTMLDetailsElement;
  private readonly metadataList: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly tensorsSection: HTMLElement;
  private readonly filter: HTMLElement & { value: string };
  private readonly count: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly head: HTMLTableSectionElement;
  private readonly body: HTMLTableSectionElement;
  private readonly noMatch: HTMLElement;
  private query = '';
  private sort: { key: TensorSortKey; descending: boolean } | undefined;
  /** Tensors whose statistics row is open. */
  private readonly open = new Set<string>();

  constructor(private readonly ctx: AppContext) {
    this.cardGrid = el('dl', { class: 'card-grid' });
    this.cardPath = el('div', { class: 'card-path' });
    this.metadataList = el('dl', { class: 'stats-list gguf-metadata' });
    this.metadataSection = el('details', { class: 'gguf-metadata-section' }, el('summary', { text: 'GGUF metadata' }), this.metadataList);
    this.cardSection = el(
      'section',
      { class: 'section' },
      el('div', { class: 'section-header' }, el('h2', { class: 'section-title', text: 'Model' }), el('span', { class: 'spacer' }), action('json', 'Export model card (JSON)', () => this.exportCard())),
      this.cardPath,
      this.cardGrid,
      this.metadataSection,
    );
    this.empty = el(
      'div',
      { class: 'welcome' },
      icon('circuit-board', 'welcome-icon'),
      el('p', { text: 'No model loaded.' }),
      el('p', { class: 'hint', text: 'Right-click a .safetensors or .gguf file in the Explorer and choose “Circuit Inspector: Inspect Model”, or run that command from the Command Palette.' }),
    );

    const filter = document.createElement('vscode-textfield');
    filter.placeholder = 'Filter by name, dtype or shape';
    filter.setAttribute('aria-label', 'Filter tensors');
    filter.className = 'tensor-filter';
    filter.appendChild(el('span', { class: 'codicon codicon-filter', attrs: { slot: 'content-before' } }));
    filter.addEventListener('input', () => {
      this.query = filter.value;
      this.renderRows(this.ctx.state());
    });
    this.filter = filter;
    this.count = document.createElement('vscode-badge');
    this.count.setAttribute('variant', 'counter');
    this.summary = el('span', { class: 'hint' });
    this.head = el('thead');
    this.body = el('tbody');
    this.noMatch = el('div', { class: 'empty-note', text: 'No tensor matches the filter.' });
    this.tensorsSection = el(
      'section',
      { class: 'section' },
      el(
        'div',
        { class: 'section-header' },
        el('h2', { class: 'section-title', text: 'Tensors' }),
        this.count,
        this.summary,
        el('span', { class: 'spacer' }),
        action('table', 'Export tensor table (CSV)', () => this.exportTensors()),
      ),
      this.filter,
      el('div', { class: 'table-scroll' }, el('table', { class: 'data-table tensor-table' }, this.head, this.body)),
      this.noMatch,
    );
    this.element = el('div', { class: 'view model-view' }, this.empty, this.cardSection, this.tensorsSection);
    this.renderHead();
    this.body.addEventListener('click', (e) => {
      const button = e.target instanceof Element ? e.target.closest<HTMLElement>('[data-stats]') : null;
      if (button?.dataset.stats) this.toggleStats(button.dataset.stats);
    });
  }

  update(s: ViewState, prev: ViewState | undefined): void {
    if (s.card !== prev?.card || s.modelPath !== prev?.modelPath) this.renderCard(s);
    if (s.tensors !== prev?.tensors || s.stats !== prev?.stats || s.statsPending !== prev?.statsPending) {
      if (s.tensors !== prev?.tensors) this.open.clear();
      this.renderRows(s);
    }
  }

  private renderCard(s: ViewState): void {
    show(this.empty, !s.card);
    show(this.cardSection, !!s.card);
    show(this.tensorsSection, !!s.card);
    clear(this.cardGrid);
    clear(this.metadataList);
    show(this.metadataSection, !!s.card?.ggufMetadata);
    if (!s.card) return;
    for (const entry of s.card.ggufMetadata ?? []) {
      this.metadataList.appendChild(el('div', { class: 'stat' }, el('dt', { class: 'mono', text: entry.key }), el('dd', { class: 'mono', text: entry.value, title: entry.value })));
    }
    this.cardPath.textContent = s.modelPath ?? '';
    this.cardPath.title = s.modelPath ?? '';
    for (const entry of cardEntries(s.card)) {
      const item = el('div', { class: 'card-item', title: entry.title }, el('dt', { text: entry.label }), el('dd', { text: entry.value }));
      this.cardGrid.appendChild(item);
    }
  }

  private renderHead(): void {
    clear(this.head);
    const row = el('tr');
    for (const col of COLUMNS) {
      const active = this.sort?.key === col.key;
      const th = el(
        'th',
        { class: col.numeric ? 'numeric sortable' : 'sortable', attrs: { scope: 'col', tabindex: '0', 'aria-sort': active ? (this.sort!.descending ? 'descending' : 'ascending') : 'none' } },
        col.label,
        active ? icon(this.sort!.descending ? 'arrow-down' : 'arrow-up', 'sort-icon') : null,
      );
      const toggle = () => {
        this.sort = this.sort?.key === col.key ? (this.sort.descending ? undefined : { key: col.key, descending: true }) : { key: col.key, descending: false };
        this.renderHead();
        this.renderRows(this.ctx.state());
      };
      th.addEventListener('click', toggle);
      th.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          toggle();
        }
      });
      row.appendChild(th);
    }
    row.appendChild(el('th', { class: 'action-col', attrs: { scope: 'col' } }, el('span', { class: 'visually-hidden', text: 'Statistics' })));
    this.head.appendChild(row);
  }

  private visibleRows(s: ViewState): TensorRow[] {
    const filtered = filterTensors(s.tensors, this.query);
    return this.sort ? sortTensors(filtered, this.sort.key, this.sort.descending) : filtered;
  }

  private renderRows(s: ViewState): void {
    const rows = this.visibleRows(s);
    this.count.textContent = rows.length === s.tensors.length ? String(s.tensors.length) : `${rows.length} / ${s.tensors.length}`;
    const sum = tensorSummary(s.tensors);
    this.summary.textContent = s.tensors.length ? `${sum.elements} values · ${sum.bytes}` : '';
    show(this.noMatch, rows.length === 0 && s.tensors.length > 0);
    const frag = document.createDocumentFragment();
    for (const r of rows) {
      const pending = s.statsPending.has(r.name);
      const has = s.stats.has(r.name);
      const open = this.open.has(r.name) && (pending || has);
      const button = el(
        'button',
        { class: `icon-button${open ? ' active' : ''}`, title: has ? (open ? 'Hide statistics' : 'Show statistics') : 'Compute statistics', attrs: { type: 'button', 'data-stats': r.name, 'aria-expanded': String(open) } },
        icon(pending ? 'loading' : 'graph', pending ? 'codicon-modifier-spin' : ''),
      );
      frag.appendChild(
        el(
          'tr',
          { class: open ? 'expanded' : '' },
          el('td', { class: 'mono name-cell', text: r.name, title: r.name }),
          el('td', { class: 'mono', text: formatShape(r.shape) }),
          el('td', { class: 'mono', text: r.dtype }),
          el('td', { class: 'numeric', text: formatBytes(r.bytes) }),
          el('td', { class: 'action-col' }, button),
        ),
      );
      if (open) {
        const stats = s.stats.get(r.name);
        const cell = el('td', { attrs: { colspan: String(COLUMNS.length + 1) } });
        if (stats) {
          const list = el('dl', { class: 'stats-list' });
          for (const e of statsEntries(stats)) {
            const warn = (e.label === 'NaN' || e.label === 'Inf') && e.value !== '0';
            list.appendChild(el('div', { class: warn ? 'stat warn' : 'stat' }, el('dt', { text: e.label }), el('dd', { text: e.value })));
          }
          cell.appendChild(list);
        } else {
          cell.appendChild(el('span', { class: 'hint', text: 'Computing statistics…' }));
        }
        frag.appendChild(el('tr', { class: 'stats-row' }, cell));
      }
    }
    clear(this.body);
    this.body.appendChild(frag);
  }

  private toggleStats(name: string): void {
    const s = this.ctx.state();
    if (this.open.has(name) && (s.stats.has(name) || s.statsPending.has(name))) {
      this.open.delete(name);
      this.renderRows(s);
      return;
    }
    this.open.add(name);
    if (!s.stats.has(name) && !s.statsPending.has(name)) {
      this.ctx.dispatch({ type: 'ui/requestStats', name });
      this.ctx.post({ type: 'tensorStats', name });
    } else {
      this.renderRows(s);
    }
  }

  private exportCard(): void {
    const s = this.ctx.state();
    if (!s.card) return;
    this.ctx.post({ type: 'save', fileName: exportFileName(s.modelPath, 'card', 'json'), data: toJson({ path: s.modelPath, name: modelName(s.modelPath), ...s.card }) });
  }

  private exportTensors(): void {
    const s = this.ctx.state();
    this.ctx.post({ type: 'save', fileName: exportFileName(s.modelPath, 'tensors', 'csv'), data: tensorsCsv(this.visibleRows(s), s.stats) });
  }
}
