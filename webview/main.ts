/**
 * Webview entry point: renders what the extension sends and never computes. It announces itself
 * with `ready` so the host only posts once it is listening.
 */
declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

const vscodeApi = acquireVsCodeApi();

window.addEventListener('message', (event: MessageEvent<{ type: string; text?: string }>) => {
  if (event.data.type === 'status' && event.data.text !== undefined) {
    const status = document.getElementById('status');
    if (status) status.textContent = event.data.text;
  }
});

vscodeApi.postMessage({ type: 'ready' });
