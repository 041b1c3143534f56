/**
 * Extension entry point. Owns everything registered for the extension's lifetime; the commands,
 * panel and engine client are registered here as they land.
 */
import type * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push();
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
