/**
 * End-to-end user journeys in a real VS Code: one code-server session (the extension loaded from
 * this repository as its development path) driven by Debian's Chromium through playwright-core,
 * with the shared harness of the integration suite (test/runner/harness.ts). Each journey asserts on
 * what the user sees and leaves a screenshot in test-results/e2e/; the run ends with an
 * `N passed, N failed` line and exits 1 when any journey failed. Run `npm run build` first
 * (`npm run test:e2e` does).
 *
 *   node --import tsx test/e2e/run.ts
 *
 * The workspace (workspace.ts) holds the sample model (samples/code-2l, else the induction
 * fixture), the demo code file and a corrupt .safetensors file. What the panel must show (the
 * top induction head) is computed first through the engine in-process (expected.ts). Between
 * journeys every editor (the panel included) is closed, notifications cleared and ablations
 * cleared, so each journey starts from a plain workbench with the model session still running.
 *
 * Environment: CIRCUIT_INSPECTOR_E2E_GREP runs only the journeys whose slug or title matches (a
 * regular expression); CIRCUIT_INSPECTOR_E2E_TIMEOUT_S overrides the 120 s limit per journey;
 * CIRCUIT_INSPECTOR_TEST_BACKEND sets `circuitInspector.backend` (default: the extension's own default);
 * CIRCUIT_INSPECTOR_KEEP_RUN=1 keeps the temporary folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { killGroup } from '../../scripts/processGroup';
import { assertExtensionBuilt, REPO_ROOT } from '../runner/buildSuite';
import { collectLogs, freePort, installTools, launchChromium, makeLogger, prepareRunDir, remoteUri, RESULTS_DIR, settingsFromEnv, startCodeServer, withTimeout, workbenchUrl } from '../runner/harness';
import { expectedFor } from './expected';
import { Inspector } from './inspector';
import type { Journey, JourneyContext } from './journey';
import { analyzeSelection } from './journeys/code';
import { ablateHead, findInductionHeads } from './journeys/heads';
import { corruptFile, customEditor, inspectFromExplorer } from './journeys/inspect';
import { particleView } from './journeys/particles';
import { Skip, Workbench } from './workbench';
import { buildWorkspace } from './workspace';

/** In the issue's order: the numbers name the screenshots. */
const JOURNEYS: readonly Journey[] = [inspectFromExplorer, customEditor, analyzeSelection, findInductionHeads, ablateHead, particleView, corruptFile];

const SCREENSHOTS = path.join(RESULTS_DIR, 'e2e');
const JOURNEY_TIMEOUT_MS = Number(process.env.CIRCUIT_INSPECTOR_E2E_TIMEOUT_S ?? 120) * 1000;
const started = Date.now();
const log = makeLogger('e2e');

type Outcome = { readonly journey: Journey; readonly number: number; readonly status: 'passed' | 'failed' | 'skipped'; readonly detail?: string; readonly seconds: number };

async function main(): Promise<number> {
  assertExtensionBuilt();
  const tools = installTools();
  const grep = process.env.CIRCUIT_INSPECTOR_E2E_GREP ? new RegExp(process.env.CIRCUIT_INSPECTOR_E2E_GREP, 'i') : undefined;
  fs.rmSync(SCREENSHOTS, { recursive: true, force: true });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });

  const dirs = prepareRunDir('circuit-inspector-e2e-', {
    // Pinned editors: a file opened from the explorer stays open when the next one opens.
    'workbench.editor.enablePreview': false,
    'editor.hover.delay': 300,
    // The extension's default backend unless asked: the journeys test what users get.
    ...settingsFromEnv(),
  });
  const ws = buildWorkspace(dirs.workspace);
  log(`workspace: ${ws.modelFolder}/ from ${ws.modelSource}, ${ws.codeFile}, ${ws.corruptFile}`);
  const expected = await expectedFor(ws.modelDir);
  log(`expected from the engine: ${expected.layers} layers × ${expected.heads} heads; top induction head ${expected.induction.name} (${expected.induction.score.toFixed(3)} on repeated random tokens)`);

  const port = await freePort();
  const server = startCodeServer(tools, dirs, port, { smokeTestDriver: true });
  let context: BrowserContext | undefined;
  const browserLog: string[] = [];
  const outcomes: Outcome[] = [];
  try {
    await server.ready;
    log(`code-server listening on 127.0.0.1:${port} (run folder ${dirs.run})`);
    context = await launchChromium(dirs.run);
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(20_000);
    page.on('console', (message) => browserLog.push(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => browserLog.push(`[pageerror] ${error.stack ?? error.message}`));
    const wb = new Workbench(page, SCREENSHOTS);
    await page.goto(workbenchUrl(port, ws.root, [['extensionDevelopmentPath', remoteUri(port, REPO_ROOT)]]));
    await withTimeout(Promise.race([wb.waitForExplorer(ws.modelFolder), server.died]), 150_000, 'the workbench');
    log('workbench shows the explorer');

    const ctx: JourneyContext = { wb, inspector: new Inspector(wb), ws, expected, log: (message) => log(`  ${message}`) };
    for (const [i, journey] of JOURNEYS.entries()) {
      const number = i + 1;
      if (grep && !grep.test(journey.slug) && !grep.test(journey.title)) continue;
      log(`journey ${number}: ${journey.title}`);
      const t = Date.now();
      let status: Outcome['status'] = 'passed';
      let detail: string | undefined;
      try {
        await withTimeout(
          (async () => {
            await wb.reset();
            await journey.run(ctx);
          })(),
          JOURNEY_TIMEOUT_MS,
          `journey ${number} (limit ${JOURNEY_TIMEOUT_MS / 1000} s)`,
        );
      } catch (error) {
        status = error instanceof Skip ? 'skipped' : 'failed';
        detail = error instanceof Error ? error.message.split('\n').slice(0, 6).join(' | ') : String(error);
      }
      const shot = path.join(SCREENSHOTS, `${String(number).padStart(2, '0')}-${journey.slug}.png`);
      await withTimeout(page.screenshot({ path: shot }), 15_000, 'screenshot').catch(() => undefined);
      const seconds = (Date.now() - t) / 1000;
      outcomes.push({ journey, number, status, detail, seconds });
      log(`journey ${number} ${status.toUpperCase()} in ${seconds.toFixed(1)} s${detail ? `: ${detail}` : ''} (screenshot ${path.relative(REPO_ROOT, shot)})`);
    }
  } catch (error) {
    log(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    outcomes.push({ journey: { slug: 'setup', title: 'start code-server and the workbench', run: async () => undefined }, number: 0, status: 'failed', detail: String(error), seconds: 0 });
  } finally {
    if (context) await withTimeout(context.close(), 15_000, 'closing Chromium').catch(() => undefined);
    await killGroup(server.child);
    const dest = collectLogs('e2e-logs', dirs.userData, server.logFile, browserLog);
    log(`logs: ${path.relative(REPO_ROOT, dest)}/`);
    if (process.env.CIRCUIT_INSPECTOR_KEEP_RUN === '1') log(`kept ${dirs.run}`);
    else fs.rmSync(dirs.run, { recursive: true, force: true });
  }

  const count = (status: Outcome['status']) => outcomes.filter((o) => o.status === status).length;
  console.log('');
  for (const o of outcomes) console.log(`${o.status === 'passed' ? 'PASS' : o.status === 'skipped' ? 'SKIP' : 'FAIL'}  ${o.number}. ${o.journey.title}${o.detail ? `\n        ${o.detail}` : ''}`);
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s${count('skipped') > 0 ? `; ${count('skipped')} skipped (not counted as passed)` : ''}`);
  console.log(`${count('passed')} passed, ${count('failed')} failed`);
  return count('failed') > 0 || count('passed') === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
