/**
 * The prompt as a row of token chips, whitespace made visible (space ·, tab →, newline ↵; the
 * strip breaks the line after a newline as the prompt does). Hovering a chip hovers that token
 * everywhere; a click picks it (the Predictions view shows what follows it). Chips can be shaded
 * by a weight per token (attention from/to the hovered token, or loss).
 */
import { cssColor, mix, readableOn, type Rgba } from '../lib/color';
import { endsLine, tokenSegments, visibleWhitespace } from '../lib/tokens';
import { clear, el } from './dom';

export interface TokenStripOptions {
  readonly onHover?: (index: number | undefined) => void;
  readonly onPick?: (index: number) => void;
  readonly label: string;
}

export class TokenStrip {
  readonly element: HTMLElement;
  private chips: HTMLElement[] = [];
  private hovered: number | undefined;
  private picked: number | undefined;

  constructor(private readonly options: TokenStripOptions) {
    this.element = el('div', { class: 'token-strip', attrs: { role: 'list', 'aria-label': options.label } });
    this.element.addEventListener('mouseover', (e) => {
      const i = this.indexOf(e.target);
      if (i !== undefined) this.options.onHover?.(i);
    });
    this.element.addEventListener('mouseleave', () => this.options.onHover?.(undefined));
    this.element.addEventListener('focusin', (e) => {
      const i = this.indexOf(e.target);
      if (i !== undefined) this.options.onHover?.(i);
    });
    this.element.addEventListener('focusout', () => this.options.onHover?.(undefined));
    this.element.addEventListener('click', (e) => {
      const i = this.indexOf(e.target);
      if (i !== undefined) this.options.onPick?.(i);
    });
    this.element.addEventListener('keydown', (e) => {
      const i = this.indexOf(e.target);
      if (i === undefined) return;
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        this.options.onPick?.(i);
      } else if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        e.preventDefault();
        this.chips[Math.max(0, Math.min(this.chips.length - 1, i + (e.key === 'ArrowRight' ? 1 : -1)))]?.focus();
      }
    });
  }

  private indexOf(target: EventTarget | null): number | undefined {
    const chip = target instanceof Element ? target.closest<HTMLElement>('.token') : null;
    if (!chip || !this.element.contains(chip)) return undefined;
    const i = Number(chip.dataset.index);
    return Number.isInteger(i) ? i : undefined;
  }

  /** Replaces the tokens; `ids` label each chip's tooltip. */
  setTokens(strings: readonly string[], ids: readonly number[]): void {
    clear(this.element);
    this.chips = [];
    this.hovered = undefined;
    const frag = document.createDocumentFragment();
    strings.forEach((token, i) => {
      const chip = el('span', {
        class: 'token',
        title: `#${i} · id ${ids[i] ?? '?'} · “${visibleWhitespace(token)}”`,
        attrs: { role: 'listitem', tabindex: '-1', 'data-index': String(i) },
      });
      for (const seg of tokenSegments(token)) chip.appendChild(seg.ws ? el('span', { class: 'ws', text: seg.text }) : document.createTextNode(seg.text));
      this.chips.push(chip);
      frag.appendChild(chip);
      if (endsLine(token)) frag.appendChild(el('span', { class: 'token-break', attrs: { 'aria-hidden': 'true' } }));
    });
    if (this.chips[0]) this.chips[0].tabIndex = 0;
    this.element.appendChild(frag);
    if (this.picked !== undefined) this.setPicked(this.picked);
  }

  setHovered(index: number | undefined): void {
    if (index === this.hovered) return;
    if (this.hovered !== undefined) this.chips[this.hovered]?.classList.remove('hovered');
    this.hovered = index;
    if (index !== undefined) this.chips[index]?.classList.add('hovered');
  }

  setPicked(index: number | undefined): void {
    if (this.picked !== undefined) this.chips[this.picked]?.classList.remove('picked');
    this.picked = index;
    if (index !== undefined) this.chips[index]?.classList.add('picked');
  }

  /**
   * Shades chip i by weights[i] in [0, 1] (`color` mixed over the chips' own tint, palette.low),
   * or clears the shading. The chip's text takes whichever of the theme's foreground and
   * background reads better on it.
   */
  setShades(weights: ArrayLike<number> | undefined, theme: { readonly background: Rgba; readonly foreground: Rgba; readonly low: Rgba }, color: Rgba): void {
    for (let i = 0; i < this.chips.length; i++) {
      const chip = this.chips[i]!;
      const w = weights ? weights[i] : undefined;
      if (w === undefined || !(w > 0.002)) {
        chip.style.removeProperty('background-color');
        chip.style.removeProperty('color');
        chip.classList.remove('shaded');
      } else {
        const shade = mix(theme.low, color, Math.min(1, w));
        chip.style.backgroundColor = cssColor(shade);
        chip.style.color = cssColor(readableOn(shade, theme.foreground, theme.background));
        chip.classList.add('shaded');
      }
    }
  }
}
