/** The VS Code webview API, typed with the protocol. acquireVsCodeApi may be called once only. */
import type { FromWebview, WebviewState } from '../../src/protocol/webview';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: WebviewState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;

export function vscodeApi(): VsCodeApi {
  api ??= acquireVsCodeApi();
  return api;
}

export type Post = (message: FromWebview) => void;
