// Stands in for VS Code around the real webview bundle: a theme on <html>/<body> (from the URL
// hash), acquireVsCodeApi with getState/setState, and a small fake host that answers the
// webview's requests (tensorStats, selectHead/selectPair → circuits, run, and the analyses: heads,
// composition, skip trigrams, attribution, and the Particles tab's). Loaded before webview/main.ts.
import { THEMES } from './themes.js';
import { attribution, circuits, composition, headScores, hostMessages, IDS, KINDS, layerPattern, skipTrigrams, tensorStats, TOKENS } from './fake.js';
import { kernel, particles, phaseDiagram, simulate } from './fakeParticles.js';

const themeName = (location.hash.slice(1) || 'dark').split('&')[0];
const theme = THEMES[themeName] ?? THEMES.dark;
for (const [name, value] of Object.entries(theme.vars)) document.documentElement.style.setProperty(name, value);
document.addEventListener('DOMContentLoaded', () => document.body.classList.add(theme.bodyClass));
if (document.body) document.body.classList.add(theme.bodyClass);

const posted = [];
let saved = JSON.parse(sessionStorage.getItem('ci-state') ?? 'null');

function send(message) {
  window.dispatchEvent(new MessageEvent('message', { data: message }));
}

let runId = 1;
let selected = { layer: 1, head: 0 };
let phaseTimers = [];
globalThis.acquireVsCodeApi = () => ({
  postMessage(message) {
    posted.push(message);
    switch (message.type) {
      case 'tensorStats':
        setTimeout(() => send({ type: 'tensorStats', name: message.name, stats: tensorStats(message.name) }), 30);
        break;
      case 'selectHead':
        selected = { layer: message.layer, head: message.head };
        send({ type: 'selectHead', layer: message.layer, head: message.head });
        setTimeout(() => send({ type: 'circuits', circuits: circuits(message.layer, message.head, TOKENS, IDS) }), 20);
        break;
      case 'selectPair':
        selected = { layer: message.to.layer, head: message.to.head };
        send({ type: 'selectHead', layer: selected.layer, head: selected.head });
        setTimeout(() => send({ type: 'circuits', circuits: circuits(selected.layer, selected.head, TOKENS, IDS) }), 20);
        break;
      case 'requestHeads':
        setTimeout(() => send({ type: 'heads', scores: headScores(message.source) }), message.source === 'random' ? 120 : 40);
        break;
      case 'requestComposition':
        setTimeout(() => send({ type: 'composition', scores: composition(message.baseline) }), 60);
        break;
      case 'requestSkipTrigrams':
        setTimeout(() => send({ type: 'skipTrigrams', tables: skipTrigrams(selected.layer, selected.head, message.token) }), 30);
        break;
      case 'requestAttribution':
        setTimeout(() => send({ type: 'attribution', attribution: attribution(message.position, message.target, message.contrast) }), 40);
        break;
      case 'requestParticles':
        setTimeout(() => send({ type: 'particles', runId, result: particles(TOKENS, message.beta, message.delta) }), 40);
        break;
      case 'requestParticleKernel': {
        const pattern = layerPattern(KINDS[message.layer], TOKENS, 10 + message.layer);
        setTimeout(() => send({ type: 'particleKernel', runId, kernel: kernel(pattern, particles(TOKENS, 1, 0.1), message.layer, message.head) }), 30);
        break;
      }
      case 'requestSimulation':
        setTimeout(() => send({ type: 'simulation', spec: message.spec, ...(message.spec.fromLayer !== undefined ? { runId } : {}), result: simulate(message.spec.params) }), 60);
        break;
      case 'requestPhaseDiagram':
        // Progress arrives as status messages, as the host's withProgress reports it.
        phaseTimers = [0.25, 0.5, 0.75].map((progress, i) => setTimeout(() => send({ type: 'status', state: 'running', message: `β ${i + 1}/4`, progress }), 150 * (i + 1)));
        phaseTimers.push(
          setTimeout(() => {
            phaseTimers = [];
            send({ type: 'phaseDiagram', spec: message.spec, result: phaseDiagram(message.spec.params, message.spec.betas) });
            send({ type: 'status', state: 'ready', message: 'phase diagram ready' });
          }, 600),
        );
        break;
      case 'cancel':
        // As the host does: a cancelled job answers with an error the panel shows.
        if (phaseTimers.length > 0) {
          phaseTimers.forEach(clearTimeout);
          phaseTimers = [];
          send({ type: 'status', state: 'ready', message: 'cancelled' });
          send({ type: 'error', message: 'Phase diagram: cancelled.' });
        }
        break;
      case 'run':
        runId++;
        send({ type: 'status', state: 'running', message: 'Forward pass' });
        setTimeout(() => {
          for (const m of hostMessages(runId).filter((m) => m.type === 'run' || m.type === 'pattern')) send(m);
          send({ type: 'circuits', circuits: circuits(selected.layer, selected.head, TOKENS, IDS) });
          send({ type: 'status', state: 'ready' });
        }, 150);
        break;
    }
  },
  getState: () => saved,
  setState(state) {
    saved = state;
    sessionStorage.setItem('ci-state', JSON.stringify(state));
  },
});

globalThis.__ci = {
  posted,
  send,
  load: () => hostMessages(runId).forEach(send),
};
