/**
 * The inspector webview's HTML: a strict CSP (nothing by default; the one script by nonce;
 * styles, fonts and images only from the extension's own resources, plus blob:/data: images for
 * exports), every asset through asWebviewUri, and an empty #app that dist/webview.js fills. Nothing
 * from the model or the user is ever written into this HTML: data reaches the page by postMessage.
 *
 * Roots the webview must be allowed to read (localResourceRoots): dist/, media/, and
 * node_modules/@vscode/codicons/dist/ (the codicon font, used by the @vscode-elements icons).
 */
import type * as vscode from 'vscode';

/** Path segments of the codicon stylesheet inside the extension (its font sits next to it). */
export const CODICONS_DIR = ['node_modules', '@vscode', 'codicons', 'dist'] as const;

export function inspectorHtml(webview: vscode.Webview, extensionUri: vscode.Uri, nonce: string): string {
  if (!/^[A-Za-z0-9+/_=-]{16,}$/.test(nonce)) throw new Error('inspectorHtml: the nonce must be at least 16 base64 characters');
  const asset = (...segments: string[]) => attr(webview.asWebviewUri(joinPath(extensionUri, ...segments)).toString());
  const source = webview.cspSource;
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    // @vscode-elements styles its components through adoptedStyleSheets (not subject to CSP) and
    // sets inline styles only through the CSSOM, so no 'unsafe-inline' is needed.
    `style-src ${source}`,
    `font-src ${source}`,
    `img-src ${source} blob: data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" id="vscode-codicon-stylesheet" href="${asset(...CODICONS_DIR, 'codicon.css')}">
  <link rel="stylesheet" href="${asset('media', 'panel.css')}">
  <title>Circuit Inspector</title>
</head>
<body>
  <div id="app"></div>
  <script nonce="${attr(nonce)}" src="${asset('dist', 'webview.js')}"></script>
</body>
</html>
`;
}

/** Uri.joinPath without a runtime import of 'vscode' (so this module also loads in plain Node tests). */
function joinPath(base: vscode.Uri, ...segments: string[]): vscode.Uri {
  return base.with({ path: [base.path.replace(/\/+$/, ''), ...segments].join('/') });
}

/** Escapes text for a double-quoted attribute. */
function attr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
