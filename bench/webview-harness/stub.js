// Stands in for VS Code around the real webview bundle: a theme on <html>/<body> (from the URL
// hash), acquireVsCodeApi with getState/setState, and a small fake host that answers the
// webview's requests (tensorStats, selectHead/selectPair → circuits, run, and the analyses: heads,
// composition, skip trigrams, attribution). Loaded before webview/main.ts.
import { THEMES } from './themes.js';
import { attribution, circuits, composition, headScores, hostMessages, IDS, skipTrigrams, tensorStats, TOKENS } from './fake.js';

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
