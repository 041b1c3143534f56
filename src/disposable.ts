/** Ownership of disposables: whatever a component registers is disposed with it. */
import type * as vscode from 'vscode';

export abstract class Disposable implements vscode.Disposable {
  private readonly owned: vscode.Disposable[] = [];
  private isDisposed = false;

  protected get disposed(): boolean {
    return this.isDisposed;
  }

  /** Takes ownership of `disposable` and returns it. */
  protected register<T extends vscode.Disposable>(disposable: T): T {
    if (this.isDisposed) disposable.dispose();
    else this.owned.push(disposable);
    return disposable;
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    // Last registered first, like a stack unwinding.
    for (const disposable of this.owned.splice(0).reverse()) disposable.dispose();
  }
}
