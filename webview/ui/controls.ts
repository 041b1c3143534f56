/** Small form controls built on @vscode-elements: a radio group, a checkbox, a select, and the "computing / failed — retry" note. */
import type { RequestStatus } from '../lib/requests';
import { el, icon, show } from './dom';

export interface Control<T> {
  readonly element: HTMLElement;
  /** Shows `value` without firing the change handler. */
  set(value: T): void;
}

export interface Choice<T extends string> {
  readonly value: T;
  readonly label: string;
  readonly title?: string;
}

export function radioGroup<T extends string>(name: string, label: string, choices: readonly Choice<T>[], onChange: (value: T) => void): Control<T> {
  const group = document.createElement('vscode-radio-group');
  group.setAttribute('aria-label', label);
  const radios = choices.map((c) => {
    const r = document.createElement('vscode-radio');
    r.name = name;
    r.value = c.value;
    r.label = c.label;
    r.textContent = c.label;
    r.dataset.value = c.value;
    if (c.title) r.title = c.title;
    group.appendChild(r);
    return r;
  });
  group.addEventListener('change', () => {
    const checked = radios.find((r) => r.checked);
    if (checked) onChange(checked.value as T);
  });
  return {
    element: group,
    set: (value) => radios.forEach((r) => (r.checked = r.value === value)),
  };
}

export function checkbox(label: string, title: string, onChange: (checked: boolean) => void): Control<boolean> {
  const box = document.createElement('vscode-checkbox');
  box.label = label;
  box.textContent = label;
  box.title = title;
  box.addEventListener('change', () => onChange(box.checked));
  return { element: box, set: (checked) => (box.checked = checked) };
}

export interface SelectControl<T extends string> extends Control<T> {
  /** Replaces the options, `value` selected. */
  setChoices(choices: readonly Choice<T>[], value: T): void;
}

export function select<T extends string>(label: string, choices: readonly Choice<T>[], onChange: (value: T) => void): SelectControl<T> {
  const sel = document.createElement('vscode-single-select');
  sel.setAttribute('aria-label', label);
  const fill = (list: readonly Choice<T>[], value: T | undefined) => {
    sel.replaceChildren(
      ...list.map((c) => {
        const option = document.createElement('vscode-option');
        option.value = c.value;
        option.textContent = c.label;
        if (c.title) option.description = c.title;
        if (c.value === value) option.selected = true;
        return option;
      }),
    );
  };
  fill(choices, undefined);
  sel.addEventListener('change', () => onChange(sel.value as T));
  return {
    element: sel,
    set: (value) => void (sel.value !== value && (sel.value = value)),
    setChoices: (list, value) => {
      fill(list, value);
      sel.value = value;
    },
  };
}

/**
 * What a tab shows instead of a result: why there is none yet, "computing…" while a request is
 * pending, or that it failed (the error banner says why) with a Retry button.
 */
export class RequestNote {
  readonly element: HTMLElement;
  private readonly text: HTMLElement;
  private readonly spinner: HTMLElement;
  private readonly retry: HTMLElementTagNameMap['vscode-button'];

  constructor(onRetry: () => void) {
    this.text = el('span');
    this.spinner = icon('loading', 'codicon-modifier-spin');
    this.retry = document.createElement('vscode-button');
    this.retry.secondary = true;
    this.retry.icon = 'refresh';
    this.retry.textContent = 'Retry';
    this.retry.className = 'retry-button';
    this.retry.addEventListener('click', onRetry);
    this.element = el('div', { class: 'empty-note request-note' }, this.spinner, this.text, this.retry);
  }

  /** `idle` is the sentence shown when nothing was asked yet (or nothing can be). */
  update(status: RequestStatus | undefined, texts: { readonly idle: string; readonly pending: string; readonly failed: string }): void {
    this.text.textContent = status === 'pending' ? texts.pending : status === 'failed' ? texts.failed : texts.idle;
    show(this.spinner, status === 'pending');
    show(this.retry, status === 'failed');
  }
}
