/** The theme as the canvases see it: a Palette from the --vscode-* variables, refreshed on theme change. */
import { paletteFromTheme, type Palette } from '../lib/color';

export function themeKind(): 'light' | 'dark' | 'high-contrast' | 'high-contrast-light' {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-light')) return 'light';
  return 'dark';
}

export function readPalette(): Palette {
  const style = getComputedStyle(document.documentElement);
  const bodyStyle = getComputedStyle(document.body);
  return paletteFromTheme((name) => style.getPropertyValue(name) || bodyStyle.getPropertyValue(name), themeKind());
}

/**
 * Calls `onChange` after VS Code switches themes: it rewrites the variables on <html style> and the
 * theme class on <body>.
 */
export function watchTheme(onChange: () => void): void {
  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      onChange();
    });
  });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
}

/** Calls `onChange` when the device pixel ratio changes (the window moved to another screen, or zoom). */
export function watchPixelRatio(onChange: () => void): void {
  const listen = () => {
    const query = matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`);
    query.addEventListener(
      'change',
      () => {
        onChange();
        listen();
      },
      { once: true },
    );
  };
  listen();
}
