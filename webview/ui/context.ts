/** What every view gets from the app: the state, the reducer, the host, the theme, the hovered token. */
import type { Palette } from '../lib/color';
import type { UiAction, ViewState } from '../lib/state';
import type { Post } from './vscode';

export interface AppContext {
  readonly post: Post;
  dispatch(action: UiAction): void;
  state(): ViewState;
  palette(): Palette;
  /** Hover a prompt token everywhere (strips, heatmaps, the editor); undefined clears. */
  hoverToken(index: number | undefined): void;
  hoveredToken(): number | undefined;
  /** Selects a head here and on the host (which answers with its circuits). */
  selectHead(layer: number, head: number): void;
}

/** A tab's view: builds its DOM once, then follows the state. */
export interface View {
  readonly element: HTMLElement;
  update(state: ViewState, prev: ViewState | undefined): void;
  /** The theme changed: repaint canvases. */
  repaint?(): void;
  /** The hovered token changed. */
  hover?(index: number | undefined): void;
  /** The view's tab became visible (canvases can measure now). */
  reveal?(): void;
}
