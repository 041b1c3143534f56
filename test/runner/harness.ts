/**
 * What the runners that drive the extension in a real VS Code share (../shared/notes/real-vscode-here.md):
 * the tools (code-server under Node 24, Debian's Chromium), a throwaway run folder that holds every
 * writable location, code-server started in its own process group, Chromium through playwright-core,
 * and the logs copied into test-results/. Used by test/runner/codeServer.ts (the integration suite)
 * and test/e2e/run.ts (the user journeys).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { REPO_ROOT } from './buildSuite';

export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
export const CHROMIUM = process.env.CIRCUIT_INSPECTOR_CHROMIUM ?? '/usr/bin/chromium';

export interface Tools {
  readonly node24: string;
  readonly codeServer: string;
}

/** `[name  12.3s] message`, seconds since the logger was made. */
export function makeLogger(name: string): (message: string) => void {
  const started = Date.now();
  return (message: string) => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
    console.log(`[${name} ${seconds}s] ${message}`);
  };
}

/** Runs the install script (idempotent) and returns the tool paths it prints. */
export function installTools(): Tools {
  const result = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'install-test-tools.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(result.stdout ?? '');
  if (result.status !== 0) throw new Error(`scripts/install-test-tools.sh failed (exit ${result.status})`);
  const value = (name: string) => {
    const match = new RegExp(`^${name}=(.*)$`, 'm').exec(result.stdout);
    if (!match) throw new Error(`scripts/install-test-tools.sh printed no ${name}= line`);
    return match[1]!.trim();
  };
  return { node24: value('NODE24'), codeServer: value('CODE_SERVER') };
}

/** A free local port (never 2024, which the note says to avoid). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port && port !== 2024) return port;
  }
}

/** Environment with every per-user location inside the run folder, and no VS Code variables inherited. */
export function isolatedEnv(run: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('VSCODE_') || key === 'ELECTRON_RUN_AS_NODE') continue;
    env[key] = value;
  }
  const home = path.join(run, 'home');
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    TMPDIR: path.join(run, 'tmp'),
    ...extra,
  };
}

/** User settings that keep a fresh workbench quiet: no welcome page, tips, AI features, update checks or telemetry. */
const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true,
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
};

/**
 * User settings the environment asks for: CIRCUIT_INSPECTOR_TEST_BACKEND sets
 * `circuitInspector.backend` (otherwise the extension's own default applies, as for users).
 */
export function settingsFromEnv(): Record<string, unknown> {
  const backend = process.env.CIRCUIT_INSPECTOR_TEST_BACKEND;
  return backend ? { 'circuitInspector.backend': backend } : {};
}

export interface RunDir {
  /** The temporary folder holding everything below. */
  readonly run: string;
  /** An empty folder that code-server opens; the caller fills it. */
  readonly workspace: string;
  readonly userData: string;
}

/** A fresh run folder (`prefix` names it under the system temp dir) with quiet user settings plus `settings`. */
export function prepareRunDir(prefix: string, settings: Record<string, unknown> = {}): RunDir {
  const run = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const home = path.join(run, 'home');
  for (const dir of [home, path.join(home, '.config'), path.join(home, '.local', 'share'), path.join(home, '.cache'), path.join(run, 'tmp')]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  const workspace = path.join(run, 'workspace');
  fs.mkdirSync(workspace);
  const userData = path.join(run, 'data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2));
  fs.writeFileSync(path.join(run, 'cs.yaml'), 'auth: none\ncert: false\n');
  return { run, workspace, userData };
}

export interface CodeServer {
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves when the server listens (its log says so); rejects if it exits or takes over a minute. */
  readonly ready: Promise<void>;
  /** Rejects when code-server exits: race it against anything that needs the server. */
  readonly died: Promise<never>;
}

/**
 * Starts code-server detached (its own process group: stop it with killGroup) on `port`, serving
 * `dirs.workspace`. `smokeTestDriver` enables the driver that runs an extension test suite.
 */
export function startCodeServer(tools: Tools, dirs: RunDir, port: number, options: { smokeTestDriver?: boolean } = {}): CodeServer {
  const { run, workspace, userData } = dirs;
  const logFile = path.join(run, 'code-server.log');
  const out = fs.openSync(logFile, 'a');
  const args = [
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--config', path.join(run, 'cs.yaml'),
    '--user-data-dir', userData,
    '--extensions-dir', path.join(run, 'ext'),
    '--ignore-last-opened',
    ...(options.smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    workspace,
  ];
  const env = isolatedEnv(run, { PATH: `${path.dirname(tools.node24)}${path.delimiter}${process.env.PATH ?? ''}` });
  const child = spawn(tools.codeServer, args, { env, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const ready = new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 60_000;
    const timer = setInterval(() => {
      const text = fs.readFileSync(logFile, 'utf8');
      if (text.includes('HTTP server listening')) {
        clearInterval(timer);
        resolve();
      } else if (child.exitCode !== null || Date.now() > deadline) {
        clearInterval(timer);
        reject(new Error(`code-server did not start (exit ${child.exitCode}); its log:\n${text}`));
      }
    }, 100);
  });
  const died = new Promise<never>((_, reject) => child.once('exit', (code, signal) => reject(new Error(`code-server exited (${signal ?? code})`))));
  died.catch(() => undefined); // observed by whoever races it
  return { child, logFile, ready, died };
}

/** Debian's Chromium, headless, with a fresh profile and every writable location inside the run folder. */
export function launchChromium(run: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(path.join(run, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1600, height: 1000 },
    env: isolatedEnv(run) as Record<string, string>,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The workbench URL for `folder`, with an optional test-driver payload of [name, value] pairs. */
export function workbenchUrl(port: number, folder: string, payload?: readonly (readonly [string, string])[]): string {
  const base = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`;
  return payload ? `${base}&payload=${encodeURIComponent(JSON.stringify(payload))}` : base;
}

/** A path on the code-server machine as the workbench addresses it. */
export function remoteUri(port: number, file: string): string {
  return `vscode-remote://127.0.0.1:${port}${file}`;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out`)), Math.max(ms, 0));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Copies the server's log, the browser console and VS Code's own logs (extension host included)
 * into test-results/<name>/, replacing an earlier run's; returns that folder.
 */
export function collectLogs(name: string, userData: string, codeServerLog: string, browserLog: readonly string[]): string {
  const dest = path.join(RESULTS_DIR, name);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  if (fs.existsSync(codeServerLog)) fs.copyFileSync(codeServerLog, path.join(dest, 'code-server.log'));
  fs.writeFileSync(path.join(dest, 'browser-console.log'), browserLog.join('\n') + '\n');
  const logsDir = path.join(userData, 'logs');
  if (fs.existsSync(logsDir)) fs.cpSync(logsDir, path.join(dest, 'vscode-logs'), { recursive: true });
  return dest;
}
