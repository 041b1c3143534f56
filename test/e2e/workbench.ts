/**
 * Driving the VS Code workbench in Chromium the way a user does: explorer context menus, the
 * command palette, quick picks, notifications, the inspector's webview (two iframes deep), and
 * reading canvases. What works against code-server is written down in
 * ../shared/notes/real-vscode-here.md; everything here polls instead of sleeping.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** Why a journey did not run (its feature is missing): reported as skipped, not passed. */
export class Skip extends Error {}

/** A failure that waiting longer cannot fix (the UI showed an error): `until` stops at once. */
export class Fatal extends Error {}

/** Polls `probe` until it returns a value other than undefined/false, or throws naming `what`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      if (error instanceof Fatal || error instanceof Skip) throw error;
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${String(last instanceof Error ? last.message : last).split('\n')[0]})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** A notification as the workbench shows it. */
export interface Notice {
  readonly severity: 'error' | 'warning' | 'info';
  readonly text: string;
}

/** Canvas pixels, read in the page: this project's TypeScript has no DOM types, so the few members used. */
interface CanvasLike {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** How many distinct colours a canvas holds and a checksum of its pixels (for "did it change"). */
export interface CanvasSummary {
  readonly width: number;
  readonly height: number;
  readonly colours: number;
  /** Pixels with any opacity. */
  readonly painted: number;
  readonly hash: number;
}

export async function canvasSummary(canvas: Locator): Promise<CanvasSummary> {
  return canvas.evaluate((element) => {
    const c = element as unknown as CanvasLike;
    const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set<number>();
    let painted = 0;
    let hash = 0;
    if (data) {
      for (let i = 0; i < data.length; i += 4) {
        const rgba = ((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!) >>> 0;
        if (colours.size < 4096) colours.add(rgba);
        if (data[i + 3]! > 0) painted++;
        hash = (Math.imul(hash, 31) + rgba) | 0;
      }
    }
    return { width: c.width, height: c.height, colours: colours.size, painted, hash };
  });
}

export class Workbench {
  constructor(
    readonly page: Page,
    private readonly screenshotDir: string,
  ) {}

  /** The inspector's webview content (panel or custom editor): two iframes deep. */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  }

  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(this.screenshotDir, { recursive: true });
    const file = path.join(this.screenshotDir, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Waits for the workbench to show the explorer with the workspace's files. */
  async waitForExplorer(firstFile: string): Promise<void> {
    await this.page.getByRole('treeitem', { name: firstFile, exact: true }).first().waitFor({ state: 'visible', timeout: 120_000 });
  }

  /** An explorer row by file or folder name (its path below the root, for nested files: the folder is expanded first). */
  async explorerItem(relativePath: string): Promise<Locator> {
    const parts = relativePath.split('/');
    for (const folder of parts.slice(0, -1)) {
      const row = this.page.getByRole('treeitem', { name: folder, exact: true }).first();
      await row.waitFor({ state: 'visible' });
      if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
      await until(`${folder} to expand in the explorer`, async () => (await row.getAttribute('aria-expanded')) === 'true', 10_000);
    }
    const item = this.page.getByRole('treeitem', { name: parts.at(-1)!, exact: true }).first();
    await item.waitFor({ state: 'visible' });
    return item;
  }

  /**
   * Right-clicks an explorer row and picks a context-menu item. Menu contributions arrive some
   * seconds after the explorer shows and an open menu never refreshes: close it and try again.
   */
  async explorerMenu(relativePath: string, menuItem: string): Promise<void> {
    const item = await this.explorerItem(relativePath);
    await until(`"${menuItem}" in the explorer context menu of ${relativePath}`, async () => {
      await item.click({ button: 'right' });
      const entry = this.page.getByRole('menuitem', { name: menuItem, exact: true }).first();
      try {
        await entry.waitFor({ state: 'visible', timeout: 2000 });
      } catch {
        await this.page.keyboard.press('Escape');
        return false;
      }
      // A menu ignores clicks in its first moments (the right-click's own mouse-up must not pick
      // an item): point at the entry, then click, and press Enter if the menu is still open.
      await entry.hover();
      await this.page.waitForTimeout(300);
      await entry.click();
      const closed = await entry.waitFor({ state: 'hidden', timeout: 1500 }).then(() => true, () => false);
      if (!closed) await this.page.keyboard.press('Enter');
      return true;
    }, 45_000, 500);
  }

  /**
   * Command palette: F1, type the command's title, and pick the row whose label is exactly that
   * title (or matches `label`, for titles whose spelling varies, such as an ellipsis).
   */
  async command(title: string, label: string | RegExp = title): Promise<void> {
    // An open palette never picks up commands registered after it opened (an extension's arrive
    // with its activation): close it and open it again until the command shows.
    await until(`"${title}" in the command palette`, async () => {
      await this.closeQuickInput();
      await this.page.keyboard.press('F1');
      const input = this.page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${title}`);
      const row = this.quickItem(label).first();
      try {
        await row.waitFor({ state: 'visible', timeout: 3000 });
      } catch {
        return false;
      }
      await row.click();
      return true;
    }, 45_000, 200);
  }

  /** Closes an open quick input (palette, quick pick) with Escape; presses nothing otherwise. */
  async closeQuickInput(): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    if (await widget.first().isVisible().catch(() => false)) {
      await this.page.keyboard.press('Escape');
      await widget.first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
    }
  }

  /** The rows of the open quick pick whose label is exactly `label` (or matches it). */
  quickItem(label: string | RegExp): Locator {
    const pattern = typeof label === 'string' ? new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) : label;
    return this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ has: this.page.locator('.label-name', { hasText: pattern }) });
  }

  /** Clicks the quick-pick row labelled `label` (waiting for it to show). */
  async pickQuickItem(label: string | RegExp): Promise<void> {
    const row = this.quickItem(label).first();
    await row.waitFor({ state: 'visible', timeout: 20_000 });
    try {
      await row.click({ timeout: 5000 });
    } catch {
      // A list still moving between two quick picks is never "stable": pick by keyboard.
      await row.focus().catch(() => undefined);
      if (typeof label === 'string') await this.page.locator('.quick-input-widget input').fill(label);
      await this.page.keyboard.press('Enter');
    }
  }

  /**
   * Every notification of this session not cleared yet, read from the notification center (toasts
   * hide themselves; the center keeps them all). Leaves the center open.
   */
  async notices(): Promise<Notice[]> {
    const center = this.page.locator('.notifications-center');
    if (!(await center.first().isVisible().catch(() => false))) {
      await this.command('Notifications: Show Notifications');
      await center.first().waitFor({ state: 'visible', timeout: 5000 });
    }
    // One snapshot of the list in the page: the workbench re-renders its rows as notifications
    // arrive, so reading them row by row can wait on a row that no longer exists.
    const rows = await center.locator('.notification-list-item').evaluateAll((items) =>
      items.map((item) => ({
        icon: item.querySelector('.notification-list-item-icon')?.className ?? '',
        text: item.querySelector('.notification-list-item-message')?.textContent ?? '',
      })),
    );
    return rows.map(({ icon, text }) => ({
      severity: icon.includes('codicon-error') ? 'error' : icon.includes('codicon-warning') ? 'warning' : 'info',
      text: text.trim(),
    }));
  }

  /**
   * Back to a plain workbench between journeys: no open editors (the inspector panel included), no
   * notifications, no active ablations.
   */
  async reset(): Promise<void> {
    await this.closeQuickInput();
    await this.page.keyboard.press('Escape');
    await this.command('Circuit Inspector: Clear Ablations');
    await this.command('View: Close All Editors');
    await this.command('Notifications: Clear All Notifications');
    await until('every editor to close', async () => (await this.page.locator('iframe.webview').count()) === 0 && (await this.page.locator('.editor-group-container .tab').count()) === 0, 15_000);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
