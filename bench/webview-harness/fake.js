// Realistic fake host messages for the webview harness: a 2-layer, 4-head GPT-2-style model and a
// 20-token code prompt, with attention heads of recognisable kinds (previous token, sink, local,
// uniform, induction, duplicate token, punctuation, mixed), QK/OV circuits, predictions and losses.

export const TOKENS = ['<|endoftext|>', 'def', ' fib', '(', 'n', '):', '\n', '   ', ' if', ' n', ' <', ' 2', ':', ' return', ' n', '\n', '   ', ' return', ' fib', '('];
export const IDS = [50256, 4299, 12900, 7, 77, 2599, 198, 220, 611, 299, 1279, 362, 25, 1441, 299, 198, 220, 1441, 12900, 7];

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Causal softmax of a score function into rows of an [n, n] block at `offset`. */
function causalRows(out, offset, n, score) {
  for (let q = 0; q < n; q++) {
    let max = -Infinity;
    for (let k = 0; k <= q; k++) max = Math.max(max, score(q, k));
    let sum = 0;
    for (let k = 0; k <= q; k++) {
      const e = Math.exp(score(q, k) - max);
      out[offset + q * n + k] = e;
      sum += e;
    }
    for (let k = 0; k <= q; k++) out[offset + q * n + k] /= sum;
  }
}

/** A layer's [head, query, key] pattern array for `heads` heads of the given kinds. */
export function layerPattern(kinds, tokens, seed = 1) {
  const n = tokens.length;
  const out = new Float32Array(kinds.length * n * n);
  const rand = rng(seed);
  kinds.forEach((kind, h) => {
    const off = h * n * n;
    const noise = Array.from({ length: n * n }, () => rand());
    const score = {
      previous: (q, k) => (k === q - 1 ? 6 : k === 0 ? 1.5 : 0) + noise[q * n + k] * 0.8,
      sink: (q, k) => (k === 0 ? 4 : 0) + noise[q * n + k],
      local: (q, k) => -(q - k) / 1.6 + noise[q * n + k] * 0.5,
      uniform: (q, k) => noise[q * n + k] * 0.4,
      induction: (q, k) => {
        for (let j = q - 1; j >= 1; j--) if (tokens[j - 1] === tokens[q] && k === j) return 7;
        return (k === 0 ? 3 : 0) + noise[q * n + k];
      },
      duplicate: (q, k) => (k < q && tokens[k] === tokens[q] ? 6 : k === q ? 2 : 0) + noise[q * n + k],
      punctuation: (q, k) => (/^[\s():<]+$|\n/.test(tokens[k]) ? 3 : 0) + noise[q * n + k] * 1.2,
      mixed: (q, k) => noise[q * n + k] * 4,
    }[kind];
    causalRows(out, off, n, score);
  });
  return out;
}

export const CARD = {
  architecture: 'gpt2',
  layers: 2,
  heads: 4,
  kvHeads: 4,
  dModel: 256,
  dHead: 64,
  dMlp: 1024,
  vocab: 50257,
  context: 1024,
  parameters: 14_548_224,
  dtype: 'float32',
  backend: 'wasm',
  tokenizer: true,
};

export function tensorRows(card = CARD) {
  const rows = [
    { name: 'wte.weight', shape: [card.vocab, card.dModel], dtype: 'F32' },
    { name: 'wpe.weight', shape: [card.context, card.dModel], dtype: 'F32' },
  ];
  for (let l = 0; l < card.layers; l++) {
    const p = `h.${l}.`;
    rows.push(
      { name: `${p}ln_1.weight`, shape: [card.dModel], dtype: 'F32' },
      { name: `${p}ln_1.bias`, shape: [card.dModel], dtype: 'F32' },
      { name: `${p}attn.c_attn.weight`, shape: [card.dModel, 3 * card.dModel], dtype: 'F32' },
      { name: `${p}attn.c_attn.bias`, shape: [3 * card.dModel], dtype: 'F32' },
      { name: `${p}attn.c_proj.weight`, shape: [card.dModel, card.dModel], dtype: 'F32' },
      { name: `${p}attn.c_proj.bias`, shape: [card.dModel], dtype: 'F32' },
      { name: `${p}ln_2.weight`, shape: [card.dModel], dtype: 'F32' },
      { name: `${p}ln_2.bias`, shape: [card.dModel], dtype: 'F32' },
      { name: `${p}mlp.c_fc.weight`, shape: [card.dModel, card.dMlp], dtype: 'F32' },
      { name: `${p}mlp.c_fc.bias`, shape: [card.dMlp], dtype: 'F32' },
      { name: `${p}mlp.c_proj.weight`, shape: [card.dMlp, card.dModel], dtype: 'F32' },
      { name: `${p}mlp.c_proj.bias`, shape: [card.dModel], dtype: 'F32' },
    );
  }
  rows.push({ name: 'ln_f.weight', shape: [card.dModel], dtype: 'F32' }, { name: 'ln_f.bias', shape: [card.dModel], dtype: 'F32' });
  return rows.map((r) => ({ ...r, bytes: 4 * r.shape.reduce((a, b) => a * b, 1) }));
}

export function tensorStats(name) {
  const rand = rng(name.length * 7919);
  const scale = name.includes('ln') && name.endsWith('weight') ? 1 : 0.02;
  return {
    count: 65536,
    mean: (name.includes('ln') && name.endsWith('weight') ? 1 : 0) + (rand() - 0.5) * 0.002,
    std: scale * (0.8 + rand() * 0.4),
    min: -scale * 4.1,
    max: scale * 4.3,
    absMax: scale * 4.3,
    nanCount: 0,
    infCount: name === 'h.1.mlp.c_fc.bias' ? 2 : 0,
  };
}

const VOCAB = [' n', '(', ' fib', ' return', '\n', ' 1', ' 2', ':', ' if', ')', ' +', ' -', ' else', ' =', ' *', '    ', ' def', ' x', ',', '0'];

export function predictions(tokens, ids, k = 8, seed = 3) {
  const n = tokens.length;
  const rand = rng(seed);
  const pid = new Int32Array(n * k);
  const probs = new Float32Array(n * k);
  const strings = [];
  const losses = new Float32Array(n - 1);
  for (let pos = 0; pos < n; pos++) {
    const next = pos + 1 < n ? tokens[pos + 1] : ' n';
    const nextId = pos + 1 < n ? ids[pos + 1] : 299;
    const includeActual = rand() < 0.75;
    let left = 1;
    const used = new Set();
    for (let r = 0; r < k; r++) {
      let text;
      let id;
      if (r === (includeActual ? Math.floor(rand() * 3) : -1)) {
        text = next;
        id = nextId;
      } else {
        do {
          text = VOCAB[Math.floor(rand() * VOCAB.length)];
        } while (used.has(text) || text === next);
        id = 1000 + VOCAB.indexOf(text);
      }
      used.add(text);
      const p = r === k - 1 ? left * 0.3 : left * (0.35 + rand() * 0.3);
      left -= p;
      pid[pos * k + r] = id;
      probs[pos * k + r] = p;
      strings.push(text);
    }
    if (pos + 1 < n) {
      let p = 0;
      for (let r = 0; r < k; r++) if (pid[pos * k + r] === nextId) p = probs[pos * k + r];
      losses[pos] = p > 0 ? -Math.log(p) : 4 + rand() * 4;
    }
  }
  return { predictions: { k, ids: pid, probs, strings }, losses };
}

export function circuits(layer, head, tokens, ids) {
  const distinct = [];
  const strings = [];
  ids.forEach((id, i) => {
    if (!distinct.includes(id)) {
      distinct.push(id);
      strings.push(tokens[i]);
    }
  });
  const t = distinct.length;
  const rand = rng(layer * 31 + head * 7 + 11);
  const qk = new Float32Array(t * t);
  const ov = new Float32Array(t * t);
  for (let i = 0; i < t; i++) {
    for (let j = 0; j < t; j++) {
      const g = () => (rand() + rand() + rand() - 1.5) * 2;
      qk[i * t + j] = g() * 3 + (i === j ? -4 : 0) + (j === 0 ? 6 : 0);
      ov[i * t + j] = g() * 1.5 + (i === j ? 9 + rand() * 4 : 0);
    }
  }
  const positions = tokens.length;
  const positionalQk = new Float32Array(positions * positions);
  causalRows(positionalQk, 0, positions, (q, k) => -Math.abs(q - 1 - k) * (1.2 + head * 0.3) + (k === 0 ? 1 : 0));
  return {
    layer,
    head,
    tokens: distinct,
    tokenStrings: strings,
    qk,
    ov,
    positionalQk,
    positions,
    processing: 'LayerNorm folded into the weights; W_E, W_U centered; token and position embeddings factored apart',
  };
}

export const KINDS = [
  ['previous', 'sink', 'local', 'uniform'],
  ['induction', 'duplicate', 'punctuation', 'mixed'],
];

export const PROMPT = 'def fib(n):\n    if n < 2: return n\n    return fib(';

/** The messages a host would send after `ready`, in order. */
export function hostMessages(runId = 1) {
  const { predictions: preds, losses } = predictions(TOKENS, IDS);
  return [
    { type: 'status', state: 'loading', message: 'Reading weights', progress: 0.4 },
    { type: 'model', path: '/home/dev/models/gpt2-tiny/model.safetensors', card: CARD },
    { type: 'tensors', tensors: tensorRows() },
    { type: 'status', state: 'ready', message: '' },
    { type: 'prompt', text: PROMPT },
    { type: 'run', runId, tokens: IDS, tokenStrings: TOKENS, losses, predictions: preds, layers: 2, heads: 4 },
    ...KINDS.map((kinds, layer) => ({ type: 'pattern', runId, layer, data: layerPattern(kinds, TOKENS, 10 + layer) })),
    { type: 'selectHead', layer: 1, head: 0 },
    { type: 'circuits', circuits: circuits(1, 0, TOKENS, IDS) },
  ];
}
