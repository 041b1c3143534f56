/** Labels of interventions shared by the host and the webview (pure: no vscode, no DOM). */
import type { Intervention } from './engine';

/** "L1H2 zero", "attn L1 mean", "MLP L0 resample". */
export function interventionLabel(i: Intervention): string {
  switch (i.kind) {
    case 'head':
      return `L${i.layer}H${i.head} ${i.method}`;
    case 'attn':
      return `attn L${i.layer} ${i.method}`;
    case 'mlp':
      return `MLP L${i.layer} ${i.method}`;
  }
}
