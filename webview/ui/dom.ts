/**
 * Building elements without HTML strings: text always goes through textContent, so nothing the
 * host sends (token strings, tensor names, messages) is ever parsed as markup.
 */
import './components';

export type Child = Node | string | null | undefined | false;

export interface Props {
  readonly class?: string;
  readonly text?: string;
  readonly title?: string;
  readonly attrs?: Readonly<Record<string, string>>;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.title) node.title = props.title;
  if (props.attrs) for (const [name, value] of Object.entries(props.attrs)) node.setAttribute(name, value);
  if (props.text !== undefined) node.textContent = props.text;
  append(node, ...children);
  return node;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** A codicon glyph (the font VS Code uses; the page links codicon.css). */
export function icon(name: string, extra = ''): HTMLSpanElement {
  return el('span', { class: `codicon codicon-${name}${extra ? ` ${extra}` : ''}`, attrs: { 'aria-hidden': 'true' } });
}

/** An icon-only toolbar action (vscode-toolbar-button) with a tooltip. */
export function action(iconName: string, label: string, onClick: () => void): HTMLElement {
  const button = document.createElement('vscode-toolbar-button');
  button.icon = iconName;
  button.label = label;
  button.title = label;
  button.addEventListener('click', onClick);
  return button;
}

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** Shows or hides an element (the `hidden` attribute; panel.css keeps it display: none). */
export function show(node: HTMLElement, visible: boolean): void {
  node.hidden = !visible;
}

/** Lays `body` out in two columns when `width` is at least `minWidth`; the width each chart gets. */
export function twoColumns(body: HTMLElement, width: number, minWidth: number): number {
  const side = width >= minWidth;
  body.classList.toggle('two-columns', side);
  return side ? Math.floor((width - 24) / 2) : width;
}
