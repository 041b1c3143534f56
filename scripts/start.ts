/**
 * `npm start`: builds the extension and opens it in a real VS Code on a demo workspace that holds
 * a code file, a prompt file and the sample models.
 *
 *   npm start                                  # desktop VS Code if `code` is on PATH, else code-server
 *   CIRCUIT_INSPECTOR_EDITOR=code-server npm start   # force code-server (or =code for the desktop)
 *   CIRCUIT_INSPECTOR_PORT=9000 npm start      # code-server's port (default 8080, or a free one)
 *
 * Steps:
 *  1. `npm run build` (dist/).
 *  2. The demo workspace: .cache/demo-vscode/demo/ gets demo/'s files (overwritten on every start)
 *     and models/ with copies of samples/code-2l (the sample code model: the one to try first),
 *     test/fixtures/models/induction and test/fixtures/models/gpt2 (those that exist), without the
 *     test-only reference.json.
 *  3. Desktop VS Code (`code` on PATH): `code --new-window --extensionDevelopmentPath=<repo>
 *     <workspace> <workspace>/add.ts`, then exit; the extension runs from the repository.
 *  4. Otherwise code-server (../shared/notes/real-vscode-here.md):
 *     - scripts/install-test-tools.sh installs Node 24 and code-server into
 *       ~/.cache/circuit-inspector-tools (seconds when they are already there);
 *     - the extension is packaged with @vscode/vsce into .cache/demo-vscode/circuit-inspector.vsix
 *       and installed into .cache/demo-vscode/extensions, skipped when dist/, media/, package.json,
 *       README.md, .vscodeignore and package-lock.json are unchanged since the last install;
 *     - user settings in .cache/demo-vscode/data/User/settings.json are seeded (startup editor
 *       off, telemetry and update checks off, …); keys the user has set are kept;
 *     - code-server starts on 127.0.0.1:8080 (another free port when 8080 is taken; never 2024)
 *       with --auth none, HOME/XDG dirs under .cache/demo-vscode/home and a temporary TMPDIR, in
 *       its own process group; its log goes to .cache/demo-vscode/code-server.log;
 *     - when it listens, the URL to open is printed: `?folder=` the workspace, and a payload that
 *       opens add.ts; then it runs until Ctrl+C (SIGINT, SIGTERM or SIGHUP), which stops the whole
 *       process group (extension host and engine processes included).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { killGroup } from './processGroup';

const REPO = path.resolve(__dirname, '..');
const CACHE = path.join(REPO, '.cache', 'demo-vscode');
const WORKSPACE = path.join(CACHE, 'demo');
const DEMO_SOURCE = path.join(REPO, 'demo');
const CODE_FILE = 'add.ts';
/** Models copied into the demo's models/ folder, preferred first; missing ones are skipped. */
const MODELS: readonly { readonly name: string; readonly source: string }[] = [
  { name: 'code-2l', source: path.join(REPO, 'samples', 'code-2l') },
  { name: 'induction', source: path.join(REPO, 'test', 'fixtures', 'models', 'induction') },
  { name: 'gpt2', source: path.join(REPO, 'test', 'fixtures', 'models', 'gpt2') },
];
const VSIX = path.join(CACHE, 'circuit-inspector.vsix');
const EXTENSIONS_DIR = path.join(CACHE, 'extensions');
const USER_DATA_DIR = path.join(CACHE, 'data');
const HOME = path.join(CACHE, 'home');
const STAMP = path.join(CACHE, 'installed-extension.sha256');
const LOG_FILE = path.join(CACHE, 'code-server.log');
const DEFAULT_PORT = 8080;
const started = Date.now();

const SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  // The workspace lives in the repository's ignored .cache/: without this, git would offer to open
  // the parent repository and grey out every demo file as ignored.
  'git.openRepositoryInParentFolders': 'never',
};

function log(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  console.log(`[start ${seconds}s] ${message}`);
}

class StartError extends Error {}

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; quiet?: boolean } = {}): string {
  const result = spawnSync(command, args, {
    cwd: REPO,
    env: options.env ?? process.env,
    encoding: 'utf8',
    stdio: options.quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error || result.status !== 0) {
    if (options.quiet) process.stderr.write(output);
    throw new StartError(`${path.basename(command)} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`);
  }
  return output;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

// --- 1. Build -------------------------------------------------------------------------------------
function build(): void {
  log('building the extension (npm run build)');
  run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build']);
}

// --- 2. Demo workspace ----------------------------------------------------------------------------
function prepareWorkspace(): string[] {
  fs.mkdirSync(WORKSPACE, { recursive: true });
  fs.cpSync(DEMO_SOURCE, WORKSPACE, { recursive: true, force: true });
  const modelsDir = path.join(WORKSPACE, 'models');
  fs.rmSync(modelsDir, { recursive: true, force: true });
  const copied: string[] = [];
  for (const { name, source } of MODELS) {
    if (!fs.existsSync(path.join(source, 'config.json'))) continue;
    fs.cpSync(source, path.join(modelsDir, name), {
      recursive: true,
      filter: (file) => path.basename(file) !== 'reference.json',
    });
    copied.push(name);
  }
  if (copied.length === 0) throw new StartError('no sample model found (samples/code-2l/, test/fixtures/models/)');
  log(`demo workspace ${path.relative(REPO, WORKSPACE)}/ with models/${copied.join(', models/')}`);
  return copied;
}

// --- 3. Desktop VS Code ---------------------------------------------------------------------------
function openDesktop(code: string): void {
  log(`opening desktop VS Code (${code}) with the extension from ${REPO}`);
  run(code, ['--new-window', `--extensionDevelopmentPath=${REPO}`, WORKSPACE, path.join(WORKSPACE, CODE_FILE)]);
  log('VS Code is open: its window runs the extension in an Extension Development Host.');
}

// --- 4. code-server -------------------------------------------------------------------------------
interface Tools {
  readonly node24: string;
  readonly codeServer: string;
}

/** Network settings a user may pass to npm through the environment: kept for the nested installs. */
const NPM_NETWORK_CONFIG = new Set(['npm_config_registry', 'npm_config_cafile', 'npm_config_proxy', 'npm_config_https_proxy', 'npm_config_noproxy', 'npm_config_strict_ssl']);

/**
 * process.env without what `npm start` adds for its script. The tool installs run npm under Node 24,
 * and an inherited npm_config_user_agent ("… node/v20 …") overrides that npm's own, so code-server's
 * postinstall would read it and refuse ("requires node v24 … you are on node v20").
 */
function withoutNpmScriptEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const injected = (key.startsWith('npm_') && !(NPM_NETWORK_CONFIG.has(key) && value)) || key === 'NODE' || key === 'INIT_CWD';
    if (!injected) env[key] = value;
  }
  return env;
}

async function installTools(): Promise<Tools> {
  log('checking code-server and Node 24 (scripts/install-test-tools.sh; minutes the first time)');
  const child = spawn('bash', [path.join(REPO, 'scripts', 'install-test-tools.sh')], { cwd: REPO, env: withoutNpmScriptEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    process.stdout.write(chunk);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new StartError(`scripts/install-test-tools.sh failed (exit ${code})`);
  const value = (name: string) => {
    const match = new RegExp(`^${name}=(.*)$`, 'm').exec(stdout);
    if (!match) throw new StartError(`scripts/install-test-tools.sh printed no ${name}= line`);
    return match[1]!.trim();
  };
  return { node24: value('NODE24'), codeServer: value('CODE_SERVER') };
}

/** Environment with every per-user location inside .cache/demo-vscode (TMPDIR: a fresh folder). */
function isolatedEnv(tools: Tools, tmp: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(withoutNpmScriptEnv())) {
    if (key.startsWith('VSCODE_') || key === 'ELECTRON_RUN_AS_NODE') continue;
    env[key] = value;
  }
  for (const dir of [HOME, path.join(HOME, '.config'), path.join(HOME, '.local', 'share'), path.join(HOME, '.cache')]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  return {
    ...env,
    HOME,
    XDG_CONFIG_HOME: path.join(HOME, '.config'),
    XDG_DATA_HOME: path.join(HOME, '.local', 'share'),
    XDG_CACHE_HOME: path.join(HOME, '.cache'),
    TMPDIR: tmp,
    PATH: `${path.dirname(tools.node24)}${path.delimiter}${process.env.PATH ?? ''}`,
  };
}

/** Hash of everything that goes into the package, plus the code-server it was installed into. */
function packageHash(tools: Tools): string {
  const hash = crypto.createHash('sha256');
  hash.update(tools.codeServer);
  const add = (file: string) => {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(file).sort()) add(path.join(file, name));
    } else if (!file.endsWith('.map')) {
      hash.update(path.relative(REPO, file));
      hash.update(fs.readFileSync(file));
    }
  };
  for (const name of ['package.json', 'package-lock.json', 'README.md', '.vscodeignore', 'dist', 'media']) add(path.join(REPO, name));
  return hash.digest('hex');
}

function installExtension(tools: Tools, env: NodeJS.ProcessEnv): void {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const installedDir = path.join(EXTENSIONS_DIR, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
  const hash = packageHash(tools);
  if (fs.existsSync(installedDir) && fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8').trim() === hash) {
    log(`extension unchanged since the last start: ${path.relative(REPO, installedDir)}`);
    return;
  }
  const vsce = path.join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce');
  if (!fs.existsSync(vsce)) throw new StartError('@vscode/vsce is missing: run `npm ci` first');
  log(`packaging the extension (vsce package) into ${path.relative(REPO, VSIX)}`);
  fs.rmSync(VSIX, { force: true });
  // No repository field and no LICENSE file in this repository: vsce would stop and ask.
  const output = run(process.execPath, [vsce, 'package', '--allow-missing-repository', '--skip-license', '--out', VSIX], { quiet: true });
  const done = /DONE\s+(.*)/.exec(output);
  if (done) log(done[1]!.trim());
  log('installing it into code-server');
  run(
    tools.codeServer,
    ['--extensions-dir', EXTENSIONS_DIR, '--user-data-dir', USER_DATA_DIR, '--install-extension', VSIX, '--force'],
    { env, quiet: true },
  );
  if (!fs.existsSync(installedDir)) throw new StartError(`code-server installed the package but ${installedDir} is missing`);
  fs.writeFileSync(STAMP, `${hash}\n`);
}

/** Adds the demo's settings that the user has not set; leaves a file it cannot parse (JSONC) alone. */
function seedSettings(): void {
  const file = path.join(USER_DATA_DIR, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let current: Record<string, unknown> = {};
  if (fs.existsSync(file)) {
    try {
      current = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      log(`keeping ${path.relative(REPO, file)} as it is (not plain JSON)`);
      return;
    }
  }
  const merged = { ...SETTINGS, ...current };
  if (JSON.stringify(merged) !== JSON.stringify(current) || !fs.existsSync(file)) {
    fs.writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function choosePort(): Promise<number> {
  const wanted = process.env.CIRCUIT_INSPECTOR_PORT;
  if (wanted) {
    const port = Number(wanted);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new StartError(`CIRCUIT_INSPECTOR_PORT=${wanted} is not a port`);
    if (!(await portIsFree(port))) throw new StartError(`port ${port} (CIRCUIT_INSPECTOR_PORT) is in use`);
    return port;
  }
  if (await portIsFree(DEFAULT_PORT)) return DEFAULT_PORT;
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port && port !== 2024) {
      log(`port ${DEFAULT_PORT} is in use; using ${port}`);
      return port;
    }
  }
}

function workbenchUrl(port: number): string {
  const host = `127.0.0.1:${port}`;
  // Unreserved characters and '/' stay readable; everything else (spaces, '&', '#', …) is escaped.
  const encode = (text: string) => encodeURIComponent(text).replace(/%2F/g, '/');
  const codeFile = `vscode-remote://${host}${path.join(WORKSPACE, CODE_FILE)}`;
  const payload = JSON.stringify([['openFile', codeFile]]);
  return `http://${host}/?folder=${encode(WORKSPACE)}&payload=${encodeURIComponent(payload)}`;
}

async function startCodeServer(): Promise<void> {
  const tools = await installTools();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'circuit-inspector-demo-'));
  const env = isolatedEnv(tools, tmp);
  installExtension(tools, env);
  seedSettings();
  const configFile = path.join(CACHE, 'code-server.yaml');
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
  const port = await choosePort();

  log(`starting code-server on 127.0.0.1:${port} (log: ${path.relative(REPO, LOG_FILE)})`);
  const out = fs.openSync(LOG_FILE, 'w');
  const child = spawn(
    tools.codeServer,
    [
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--config', configFile,
      '--user-data-dir', USER_DATA_DIR,
      '--extensions-dir', EXTENSIONS_DIR,
      '--ignore-last-opened',
      WORKSPACE,
    ],
    { cwd: WORKSPACE, env, detached: true, stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);

  let stopping = false;
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  const stop = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: stopping code-server`);
    await killGroup(child);
    fs.rmSync(tmp, { recursive: true, force: true });
    log('stopped');
    process.exit(exitCode);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stop(sig, 0));
  // `kill <npm's pid>` stops npm and its `sh -c` but not this process: stop when orphaned too.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop('npm start was stopped', 0);
  }, 1000).unref();
  process.on('exit', () => {
    // Last resort (an uncaught error): never leave code-server running without us.
    if (!stopping && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  const deadline = Date.now() + 60_000;
  for (;;) {
    const text = fs.readFileSync(LOG_FILE, 'utf8');
    if (text.includes('HTTP server listening')) break;
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      process.stderr.write(text);
      await stop(`code-server did not start (exit ${child.exitCode ?? child.signalCode ?? 'timeout'})`, 1);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const url = workbenchUrl(port);
  console.log('');
  console.log(`  Circuit Inspector is running in code-server (ready in ${((Date.now() - started) / 1000).toFixed(1)} s). Open:`);
  console.log('');
  console.log(`    ${url}`);
  console.log('');
  console.log(`  (or http://127.0.0.1:${port}/ , which opens the same folder). The demo's README.md says what to try.`);
  console.log('  Press Ctrl+C to stop.');
  console.log('');

  const code = await exited;
  if (!stopping) await stop(`code-server exited (${code}); see ${path.relative(REPO, LOG_FILE)}`, code === 0 ? 0 : 1);
}

async function main(): Promise<void> {
  build();
  prepareWorkspace();
  const choice = process.env.CIRCUIT_INSPECTOR_EDITOR ?? 'auto';
  if (!['auto', 'code', 'code-server'].includes(choice)) throw new StartError(`CIRCUIT_INSPECTOR_EDITOR=${choice}: use code or code-server`);
  const code = choice === 'code-server' ? undefined : onPath(process.platform === 'win32' ? 'code.cmd' : 'code');
  if (choice === 'code' && !code) throw new StartError('CIRCUIT_INSPECTOR_EDITOR=code but no `code` on PATH');
  if (code) openDesktop(code);
  else await startCodeServer();
}

main().catch((error: unknown) => {
  console.error(`npm start: ${error instanceof StartError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
