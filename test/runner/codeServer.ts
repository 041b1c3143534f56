/**
 * Runs the extension's integration suite (`test/suite/`) in a real VS Code: code-server (VS Code
 * server + web workbench, from npm) driven by Debian's Chromium through playwright-core, as
 * ../shared/notes/real-vscode-here.md describes. Nothing is packaged: the repository itself is the
 * extension development path, so run `npm run build` first.
 *
 *   node --import tsx test/runner/codeServer.ts
 *
 * Steps: make sure the tools are installed (scripts/install-test-tools.sh: fast when they are),
 * bundle the suite into out/test/suite/, start code-server on a free port with every writable
 * location (HOME, XDG dirs, TMPDIR, user data, extensions) inside a fresh temporary folder, open the
 * workbench with the test payload in Chromium, print what the extension host logs, and exit with
 * the suite's code. A screenshot and the logs go to test-results/.
 * What this shares with the end-to-end journeys (test/e2e/run.ts) lives in ./harness.ts.
 *
 * While the suite runs, the runner also watches the workbench's status bar for the extension's
 * item (src/host/statusBar.ts) and fails an otherwise green run that never showed it with a loaded
 * model ("… · <backend> · ready"); test-results/extension-suite-statusbar.png shows the moment it
 * was seen. This cannot be checked at exit: the workbench stops the extension host (deactivating the
 * extension, which removes its status bar item) before it calls codeAutomationExit, so the final
 * screenshot never shows extension-contributed status bar items.
 *
 * Environment: CIRCUIT_INSPECTOR_GREP runs only the matching tests, CIRCUIT_INSPECTOR_VERBOSE=1 prints
 * each layer's largest attention difference; CIRCUIT_INSPECTOR_SUITE_TIMEOUT_S
 * overrides the 600 s overall timeout; CIRCUIT_INSPECTOR_TEST_BACKEND sets the user setting
 * `circuitInspector.backend`; CIRCUIT_INSPECTOR_KEEP_RUN=1 keeps the temporary folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { killGroup } from '../../scripts/processGroup';
import { assertExtensionBuilt, buildSuite, FIXTURES_DIR, REPO_ROOT, SUITE_ENTRY } from './buildSuite';
import { collectLogs, freePort, installTools, launchChromium, makeLogger, prepareRunDir, remoteUri, RESULTS_DIR, settingsFromEnv, startCodeServer, withTimeout, workbenchUrl } from './harness';

const TIMEOUT_MS = Number(process.env.CIRCUIT_INSPECTOR_SUITE_TIMEOUT_S ?? 600) * 1000;
const SCREENSHOT = path.join(RESULTS_DIR, 'extension-suite.png');
const STATUS_SCREENSHOT = path.join(RESULTS_DIR, 'extension-suite-statusbar.png');
const started = Date.now();
const log = makeLogger('suite-runner');

/** The workbench forwards console calls as (type, args): apply printf-style formats like console. */
function formatLogArgs(args: unknown): string {
  const list: unknown[] = Array.isArray(args) ? args : [args];
  return util.format(...list);
}

/** Known noise on a network without the extension gallery: counted, not printed. */
const NOISE = [/ENOTFOUND open-vsx\.org/];

interface StatusItemState {
  readonly text: string;
  readonly ariaLabel: string;
  readonly visible: boolean;
  readonly right: boolean;
  readonly hasCommand: boolean;
}

interface PageElement {
  readonly textContent: string | null;
  readonly classList: { contains(name: string): boolean };
  closest(selector: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { width: number; height: number };
}
interface PageGlobals {
  readonly document: { getElementById(id: string): PageElement | null };
  getComputedStyle(element: PageElement): { display: string };
}

/**
 * Watches the status bar for the extension's item while the suite runs. The workbench gives a
 * status bar entry the DOM id `<publisher>.<name>.<item id>`; the item is expected, with a model
 * loaded, to read "<model> · <backend> · ready", sit on the right, open the panel when clicked
 * (has a command) and carry "Circuit Inspector" in its accessible label.
 */
function watchStatusBarItem(page: Page): { stop: () => Promise<void>; ok: () => StatusItemState | undefined; seen: () => string[] } {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string };
  const id = `${manifest.publisher}.${manifest.name}.circuitInspector.status`;
  const seen: string[] = [];
  let good: StatusItemState | undefined;
  let stopped = false;
  fs.rmSync(STATUS_SCREENSHOT, { force: true }); // never leave an earlier run's picture as evidence
  const loop = (async () => {
    while (!stopped) {
      const state = await page
        .evaluate((elementId): StatusItemState | null => {
          // Runs in the page (this project's TypeScript has no DOM types): the few members used.
          const win = globalThis as unknown as PageGlobals;
          const element = win.document.getElementById(elementId);
          if (!element || !element.closest('.part.statusbar')) return null;
          const box = element.getBoundingClientRect();
          return {
            text: (element.textContent ?? '').replace(/\s+/g, ' ').trim(),
            ariaLabel: (element.querySelector('[aria-label]') ?? element).getAttribute('aria-label') ?? '',
            visible: box.width > 0 && box.height > 0 && win.getComputedStyle(element).display !== 'none',
            right: element.classList.contains('right'),
            hasCommand: element.classList.contains('has-command'),
          };
        }, id)
        .catch(() => null);
      if (state) {
        const summary = `"${state.text}"${state.visible ? '' : ' (hidden)'}`;
        if (seen.at(-1) !== summary && seen.length < 200) seen.push(summary);
        if (!good && state.visible && state.right && state.hasCommand && /\S · (tensorflow|wasm|cpu) · ready$/.test(state.text) && state.ariaLabel.includes('Circuit Inspector')) {
          good = state;
          fs.mkdirSync(RESULTS_DIR, { recursive: true });
          await withTimeout(page.screenshot({ path: STATUS_SCREENSHOT }), 15_000, 'status bar screenshot').then(
            () => log(`status bar item "${state.text}" is shown; screenshot: ${path.relative(REPO_ROOT, STATUS_SCREENSHOT)}`),
            (error: unknown) => log(`status bar item "${state.text}" is shown; no screenshot: ${String(error)}`),
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
    ok: () => good,
    seen: () => seen,
  };
}

async function main(): Promise<number> {
  assertExtensionBuilt();
  const tools = installTools();
  await buildSuite();
  log(`bundled the suite into ${path.relative(REPO_ROOT, path.dirname(SUITE_ENTRY))}/`);

  const dirs = prepareRunDir('circuit-inspector-suite-', settingsFromEnv());
  const { run, workspace, userData } = dirs;
  fs.writeFileSync(path.join(workspace, 'README.md'), 'Workspace of the Circuit Inspector integration suite.\n');
  const port = await freePort();
  const server = startCodeServer(tools, dirs, port, { smokeTestDriver: true });
  let context: BrowserContext | undefined;
  let statusItem: ReturnType<typeof watchStatusBarItem> | undefined;
  const browserLog: string[] = [];
  let exitCode = 1;
  try {
    await server.ready;
    log(`code-server listening on 127.0.0.1:${port} (run folder ${run})`);

    context = await launchChromium(run);
    const page: Page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => browserLog.push(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => browserLog.push(`[pageerror] ${error.stack ?? error.message}`));

    let noise = 0;
    let screenshotTaken = false;
    const screenshot = async () => {
      if (screenshotTaken) return;
      screenshotTaken = true;
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      await withTimeout(page.screenshot({ path: SCREENSHOT }), 15_000, 'screenshot').then(
        () => log(`screenshot: ${path.relative(REPO_ROOT, SCREENSHOT)}`),
        (error: unknown) => log(`no screenshot: ${String(error)}`),
      );
    };

    const suiteExit = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
        const text = formatLogArgs(args);
        if (NOISE.some((pattern) => pattern.test(text))) {
          noise++;
          return;
        }
        const prefix = `[vscode${type === 'log' || type === 'info' ? '' : ` ${type}`}]`;
        for (const line of text.split('\n')) console.log(`${prefix} ${line}`);
      });
      void page.exposeFunction('codeAutomationExit', async (code: number) => {
        // Screenshot before returning: the workbench may shut down once this call completes.
        await screenshot();
        resolve(typeof code === 'number' ? code : 1);
      });
    });

    const extensionEnvironment: Record<string, string> = { CIRCUIT_INSPECTOR_FIXTURES: FIXTURES_DIR };
    for (const name of ['CIRCUIT_INSPECTOR_GREP', 'CIRCUIT_INSPECTOR_VERBOSE']) {
      const value = process.env[name];
      if (value) extensionEnvironment[name] = value;
    }
    const payload: [string, string][] = [
      ['extensionDevelopmentPath', remoteUri(port, REPO_ROOT)],
      ['extensionTestsPath', remoteUri(port, SUITE_ENTRY)],
      ['extensionEnvironment', JSON.stringify(extensionEnvironment)],
    ];
    const url = workbenchUrl(port, workspace, payload);
    // exposeFunction must be registered before the workbench loads; the two calls above are queued
    // on the page before this navigation.
    await page.goto(url);
    log('workbench opened; waiting for the suite');
    statusItem = watchStatusBarItem(page);

    const remaining = TIMEOUT_MS - (Date.now() - started);
    try {
      const serverDied = server.died.catch((error: unknown) => {
        throw new Error(`${String(error instanceof Error ? error.message : error)} before the suite finished`);
      });
      exitCode = await withTimeout(Promise.race([suiteExit, serverDied]), remaining, `the integration suite (overall limit ${TIMEOUT_MS / 1000} s)`);
      log(`suite finished with exit code ${exitCode}${noise ? ` (${noise} extension-gallery network errors not shown)` : ''}`);
      await statusItem.stop();
      if (exitCode === 0 && !statusItem.ok()) {
        const seen = statusItem.seen().join(' → ') || 'never';
        if (process.env.CIRCUIT_INSPECTOR_GREP) {
          log(`status bar item not checked (CIRCUIT_INSPECTOR_GREP may skip the tests that load a model); seen: ${seen}`);
        } else {
          log(`FAIL: the Circuit Inspector status bar item never showed a loaded model ("<model> · <backend> · ready", on the right, with a command and an accessible label naming Circuit Inspector); seen: ${seen}`);
          exitCode = 1;
        }
      }
    } catch (error) {
      log(String(error));
      await screenshot();
      exitCode = 1;
    }
  } catch (error) {
    log(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    exitCode = 1;
  } finally {
    await statusItem?.stop();
    if (context) await withTimeout(context.close(), 15_000, 'closing Chromium').catch(() => undefined);
    await killGroup(server.child);
    const dest = collectLogs('extension-suite-logs', userData, server.logFile, browserLog);
    log(`logs: ${path.relative(REPO_ROOT, dest)}/`);
    if (process.env.CIRCUIT_INSPECTOR_KEEP_RUN === '1') log(`kept ${run}`);
    else fs.rmSync(run, { recursive: true, force: true });
  }
  log(`${exitCode === 0 ? 'PASSED' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
