/** What `activate()` returns: a window for tests and diagnostics into what the extension did. */
import type { ToWebview } from './protocol/webview';

export interface CircuitInspectorApi {
  /** Every message the host posted to inspector webviews, oldest first. */
  readonly panelLog: readonly ToWebview[];
  /** The loaded model's path, if any. */
  readonly modelPath: string | undefined;
}
