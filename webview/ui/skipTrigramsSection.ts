/**
 * Skip trigrams of the selected head: pick a token of the prompt, and see which output tokens the
 * head's OV circuit boosts and suppresses when it attends to that token ([token] … → [output]),
 * and which key tokens that token, as a query, most wants to attend to.
 */
import { exportFileName, headName } from '../lib/format';
import { requestStatus, skipQuery } from '../lib/requests';
import { skipTrigramsCsv } from '../lib/skipTrigrams';
import type { ViewState } from '../lib/state';
import type { SkipTrigrams } from '../../src/protocol/engine';
import type { AppContext } from './context';
import { RequestNote } from './controls';
import { action, el, show } from './dom';
import { TokenStrip } from './tokenStrip';
import { tokenText, TokenTable } from './tokenTable';

export class SkipTrigramsSection {
  readonly element: HTMLElement;
  private readonly strip: TokenStrip;
  private readonly note: RequestNote;
  private readonly processing: HTMLElement;
  private readonly tables: HTMLElement;
  private readonly boosts = new TokenTable('Logit');
  private readonly suppresses = new TokenTable('Logit');
  private readonly attends = new TokenTable('Score');
  private shown: SkipTrigrams | undefined;
  private tokens: readonly number[] | undefined;

  constructor(private readonly ctx: AppContext) {
    this.strip = new TokenStrip({
      label: 'Pick a token for its skip trigrams',
      onHover: (i) => ctx.hoverToken(i),
      onPick: (i) => {
        const token = ctx.state().run?.tokens[i];
        if (token !== undefined) ctx.dispatch({ type: 'ui/skipToken', token });
      },
    });
    this.note = new RequestNote(() => {
      const q = skipQuery(ctx.state());
      if (q) ctx.dispatch({ type: 'ui/retry', key: q.key });
    });
    this.processing = el('div', { class: 'hint processing' });
    this.tables = el('div', { class: 'skip-tables' }, this.boosts.element, this.suppresses.element, this.attends.element);
    this.element = el(
      'section',
      { class: 'section skip-section' },
      el(
        'div',
        { class: 'section-header' },
        el('h2', { class: 'section-title', text: 'Skip trigrams' }),
        el('span', { class: 'hint', text: 'click a token: what this head writes when it attends to it, and what it attends to from it' }),
        el('span', { class: 'spacer' }),
        action('table', 'Export the skip-trigram tables (CSV)', () => this.exportCsv()),
      ),
      this.strip.element,
      this.note.element,
      this.processing,
      this.tables,
    );
  }

  update(s: ViewState): void {
    const run = s.run;
    show(this.element, !!run);
    if (!run) return;
    if (run.tokens !== this.tokens) {
      this.tokens = run.tokens;
      this.strip.setTokens(run.tokenStrings, run.tokens);
    }
    const picked = s.skipToken === undefined ? -1 : run.tokens.indexOf(s.skipToken);
    this.strip.setPicked(picked >= 0 ? picked : undefined);
    const q = skipQuery(s);
    const t = q ? s.skipTrigrams.get(q.key) : undefined;
    const name = headName(s.selected.layer, s.selected.head);
    this.note.update(t ? undefined : requestStatus(s, q?.key), {
      idle: `Click a token above to see the skip trigrams of ${name} through it.`,
      pending: `Reading the skip trigrams of ${name}…`,
      failed: 'Could not compute the skip trigrams (see the message above).',
    });
    show(this.note.element, !t);
    show(this.tables, !!t);
    show(this.processing, !!t);
    if (t === this.shown) return;
    this.shown = t;
    if (!t) return;
    const text = picked >= 0 ? run.tokenStrings[picked] ?? `#${t.token}` : `#${t.token}`;
    const chip = () => tokenText(text, 'token-text chip-like');
    this.processing.textContent = t.processing;
    this.boosts.setTitle('Attending to ', chip(), ' raises');
    this.suppresses.setTitle('Attending to ', chip(), ' lowers');
    this.attends.setTitle(chip(), ' as query attends to');
    this.boosts.set(t.boosts);
    this.suppresses.set(t.suppresses);
    this.attends.set(t.attendsTo);
  }

  hover(index: number | undefined): void {
    this.strip.setHovered(index);
  }

  private exportCsv(): void {
    const s = this.ctx.state();
    const t = this.shown;
    if (t) this.ctx.post({ type: 'save', fileName: exportFileName(s.modelPath, `skip-trigrams-${headName(t.layer, t.head)}-${t.token}`, 'csv'), data: skipTrigramsCsv(t) });
  }
}
