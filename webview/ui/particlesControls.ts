/**
 * Controls of the Particles tab: a number field that reports only valid numbers, and a player — a
 * play / pause button with a range slider over snapshots or frames — that plays to the last step.
 * (@vscode-elements has no slider: the range input is styled from the theme in panel.css.)
 */
import { nextFrame } from '../lib/particles';
import { el } from './dom';

export interface NumberField {
  readonly element: HTMLElementTagNameMap['vscode-textfield'];
  /** The field's number, or NaN when it does not hold one. */
  value(): number;
  set(value: number): void;
  setDisabled(disabled: boolean): void;
}

/** A labelled numeric text field; `onChange` fires on commit (Enter or blur) with the parsed number. */
export function numberField(label: string, title: string, value: number, onChange?: (value: number) => void, integer = false): NumberField & { readonly wrapper: HTMLElement } {
  const field = document.createElement('vscode-textfield');
  // A text field: type=number would flag fractions as invalid (its step is a number, not 'any').
  field.value = String(value);
  field.setAttribute('inputmode', integer ? 'numeric' : 'decimal');
  field.setAttribute('aria-label', label);
  field.title = title;
  field.className = 'number-field';
  const parse = () => (field.value.trim() === '' ? NaN : Number(field.value));
  field.addEventListener('change', () => {
    const v = parse();
    field.invalid = !Number.isFinite(v) || (integer && !Number.isInteger(v));
    if (Number.isFinite(v)) onChange?.(v);
  });
  const wrapper = el('label', { class: 'number-control', title }, el('span', { class: 'control-label', text: label }), field);
  return {
    element: field,
    wrapper,
    value: parse,
    set: (v) => {
      if (parse() !== v) field.value = String(v);
      field.invalid = false;
    },
    setDisabled: (disabled) => {
      field.disabled = disabled;
    },
  };
}

export interface PlayerOptions {
  /** Accessible name of the slider ("Snapshot"). */
  readonly label: string;
  /** The user moved the slider, or playback advanced. */
  readonly onChange: (index: number) => void;
  /** Time per step while playing. */
  readonly intervalMs: number;
}

export class Player {
  readonly element: HTMLElement;
  private readonly button: HTMLElementTagNameMap['vscode-button'];
  private readonly slider: HTMLInputElement;
  private readonly text: HTMLElement;
  private timer: ReturnType<typeof setInterval> | undefined;
  private count = 0;
  private index = 0;

  constructor(private readonly options: PlayerOptions) {
    this.button = document.createElement('vscode-button');
    this.button.secondary = true;
    this.button.className = 'play-button';
    this.button.addEventListener('click', () => (this.timer ? this.pause() : this.play()));
    this.slider = el('input', { class: 'range-slider', attrs: { type: 'range', min: '0', max: '0', step: '1', 'aria-label': options.label } });
    this.slider.addEventListener('input', () => {
      this.pause();
      this.index = Number(this.slider.value);
      options.onChange(this.index);
    });
    this.text = el('span', { class: 'player-text' });
    this.element = el('div', { class: 'player' }, this.button, this.slider, this.text);
    this.showButton();
  }

  /** Number of steps; fewer than two disables the player. */
  setCount(count: number): void {
    this.count = count;
    this.slider.max = String(Math.max(0, count - 1));
    this.slider.disabled = count < 2;
    this.button.disabled = count < 2;
    if (count < 2) this.pause();
  }

  /** Shows step `index` without reporting it. */
  set(index: number, text: string): void {
    this.index = index;
    if (this.slider.value !== String(index)) this.slider.value = String(index);
    this.text.textContent = text;
  }

  get playing(): boolean {
    return this.timer !== undefined;
  }

  play(): void {
    if (this.timer || this.count < 2) return;
    // From the end, playing starts over.
    if (this.index >= this.count - 1) {
      this.index = 0;
      this.options.onChange(0);
    }
    this.timer = setInterval(() => {
      this.index = nextFrame(this.index, this.count);
      this.options.onChange(this.index);
      if (this.index === this.count - 1) this.pause();
    }, this.options.intervalMs);
    this.showButton();
  }

  pause(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.showButton();
  }

  private showButton(): void {
    const playing = this.timer !== undefined;
    this.button.icon = playing ? 'debug-pause' : 'play';
    this.button.textContent = playing ? 'Pause' : 'Play';
    this.button.title = playing ? 'Pause' : `Play through every ${this.options.label.toLowerCase()}`;
  }
}
