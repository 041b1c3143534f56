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
    spectrum: spectrum(layer, head),
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

// ---------- Circuit analysis (Heads, Composition, spectra, skip trigrams, attribution) ----------

const PROCESSING = 'LayerNorm folded into the weights; W_E, W_U centered; value biases folded into the output bias';

/** How much each kind of head copies through OV and QK (the sign and spread of its eigenvalues). */
const COPYING = {
  previous: [0.18, 0.06],
  sink: [-0.08, 0.34],
  local: [0.22, 0.41],
  uniform: [0.02, -0.04],
  induction: [0.88, 0.12],
  duplicate: [0.31, 0.79],
  punctuation: [-0.46, 0.08],
  mixed: [0.04, -0.33],
};

/** d_head eigenvalues as [re, im] pairs (conjugate pairs and a few real ones), spread by how much the head copies. */
export function eigenvalues(layer, head, circuit, dHead = 64) {
  const kind = KINDS[layer][head];
  const c = COPYING[kind][circuit === 'ov' ? 0 : 1];
  const rand = rng(layer * 97 + head * 13 + (circuit === 'ov' ? 1 : 2));
  const out = new Float32Array(2 * dHead);
  const scale = circuit === 'ov' ? 40 : 12;
  for (let i = 0; i < dHead; ) {
    const r = scale * Math.exp(-i / 14) * (0.6 + rand() * 0.5);
    // Copying heads: angles near 0; anti-copying: near π; neither: anywhere.
    const spread = Math.PI * (1 - Math.abs(c)) * 0.95;
    let angle = (rand() - 0.5) * 2 * spread;
    if (c < 0) angle += Math.PI;
    if (rand() < 0.2 || i === dHead - 1) {
      out[2 * i] = r * Math.sign(Math.cos(angle) || 1);
      out[2 * i + 1] = 0;
      i += 1;
    } else {
      out[2 * i] = r * Math.cos(angle);
      out[2 * i + 1] = r * Math.sin(angle);
      out[2 * i + 2] = r * Math.cos(angle);
      out[2 * i + 3] = -r * Math.sin(angle);
      i += 2;
    }
  }
  return out;
}

function copyingStatistic(pairs) {
  let re = 0;
  let abs = 0;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    re += pairs[i];
    abs += Math.hypot(pairs[i], pairs[i + 1]);
  }
  return abs > 0 ? re / abs : NaN;
}

export function spectrum(layer, head) {
  const ovEigenvalues = eigenvalues(layer, head, 'ov');
  const qkEigenvalues = eigenvalues(layer, head, 'qk');
  return { ovEigenvalues, qkEigenvalues, copyingOV: copyingStatistic(ovEigenvalues), copyingQK: copyingStatistic(qkEigenvalues) };
}

/** TransformerLens-style detector scores of the fake patterns on the prompt: mean over queries of the attention on the pattern's keys. */
function detectorScores(pattern, n, tokens) {
  const score = (wants) => {
    let sum = 0;
    let count = 0;
    for (let q = 1; q < n; q++) {
      const keys = [];
      for (let k = 0; k <= q; k++) if (wants(q, k)) keys.push(k);
      if (!keys.length) continue;
      sum += keys.reduce((s, k) => s + pattern(q, k), 0);
      count++;
    }
    return count ? sum / count : 0;
  };
  return {
    previousToken: score((q, k) => k === q - 1),
    duplicateToken: score((q, k) => k < q && tokens[k] === tokens[q]),
    induction: score((q, k) => k >= 1 && k < q && tokens[k - 1] === tokens[q]),
    sink: score((q, k) => k === 0),
  };
}

/** On repeated random tokens every head shows its kind clearly. */
const RANDOM_SCORES = {
  previous: [0.93, 0.02, 0.01, 0.04],
  sink: [0.03, 0.02, 0.01, 0.91],
  local: [0.41, 0.06, 0.05, 0.12],
  uniform: [0.05, 0.04, 0.04, 0.08],
  induction: [0.02, 0.04, 0.89, 0.05],
  duplicate: [0.04, 0.83, 0.03, 0.07],
  punctuation: [0.08, 0.06, 0.05, 0.22],
  mixed: [0.07, 0.09, 0.11, 0.18],
};

export function headScores(source) {
  const layers = KINDS.length;
  const heads = KINDS[0].length;
  const out = { previousToken: [], duplicateToken: [], induction: [], sink: [], copyingOV: [], copyingQK: [] };
  const rand = rng(source === 'random' ? 5 : 6);
  KINDS.forEach((kinds, layer) => {
    const data = layerPattern(kinds, TOKENS, 10 + layer);
    const n = TOKENS.length;
    kinds.forEach((kind, head) => {
      const s =
        source === 'prompt'
          ? detectorScores((q, k) => data[head * n * n + q * n + k], n, IDS)
          : Object.fromEntries(['previousToken', 'duplicateToken', 'induction', 'sink'].map((key, i) => [key, Math.min(1, RANDOM_SCORES[kind][i] + rand() * 0.03)]));
      const sp = spectrum(layer, head);
      for (const key of ['previousToken', 'duplicateToken', 'induction', 'sink']) out[key].push(s[key]);
      out.copyingOV.push(sp.copyingOV);
      out.copyingQK.push(sp.copyingQK);
    });
  });
  const on = source === 'random' ? '4 repeated random sequences of 63 tokens' : `the prompt (${TOKENS.length} tokens)`;
  const processing = `detector and sink scores: the exact forward pass on ${on}; copying scores: ${PROCESSING}`;
  return { layers, heads, source, ...Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Float32Array.from(v)])), processing };
}

export function composition(baseline) {
  const layers = KINDS.length;
  const heads = KINDS[0].length;
  const n = layers * heads;
  const rand = rng(21);
  const base = { q: 0.061, k: 0.058, v: 0.052 };
  const q = new Float32Array(n * n);
  const k = new Float32Array(n * n);
  const v = new Float32Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      if (Math.floor(a / heads) >= Math.floor(b / heads)) continue;
      const from = KINDS[Math.floor(a / heads)][a % heads];
      const to = KINDS[Math.floor(b / heads)][b % heads];
      const i = a * n + b;
      q[i] = 0.04 + rand() * 0.05 + (from === 'sink' && to === 'duplicate' ? 0.09 : 0);
      k[i] = 0.04 + rand() * 0.05 + (from === 'previous' && to === 'induction' ? 0.31 : 0) + (from === 'local' && to === 'induction' ? 0.08 : 0);
      v[i] = 0.03 + rand() * 0.05 + (from === 'uniform' && to === 'mixed' ? 0.11 : 0);
      if (baseline) {
        q[i] -= base.q;
        k[i] -= base.k;
        v[i] -= base.v;
      }
    }
  }
  return { layers, heads, q, k, v, ...(baseline ? { baseline: base } : {}), processing: PROCESSING };
}

const OUT_VOCAB = [' n', '(', ' fib', ' return', '\n', ' 1', ' 2', ':', ' if', ')', ' +', ' -', ' else', ' =', ' *', '    ', ' def', ' x', ',', '0', ' the', ' and', ' of', ' in'];

function tokenList(rand, first, count, sign, scale) {
  const picked = [];
  if (first !== undefined) picked.push(first);
  while (picked.length < count) {
    const t = OUT_VOCAB[Math.floor(rand() * OUT_VOCAB.length)];
    if (!picked.includes(t)) picked.push(t);
  }
  const values = picked.map((_, i) => sign * scale * Math.exp(-i / 4) * (0.85 + rand() * 0.3));
  values.sort((a, b) => (sign > 0 ? b - a : a - b));
  return { ids: Int32Array.from(picked.map((t) => 1000 + OUT_VOCAB.indexOf(t))), values: Float32Array.from(values), strings: picked };
}

export function skipTrigrams(layer, head, token) {
  const kind = KINDS[layer][head];
  const text = TOKENS[IDS.indexOf(token)] ?? ` #${token}`;
  const rand = rng(layer * 7 + head * 3 + token);
  const copies = COPYING[kind][0] > 0.3;
  return {
    layer,
    head,
    token,
    boosts: tokenList(rand, copies ? text : undefined, 8, 1, 6),
    suppresses: tokenList(rand, undefined, 8, -1, 4),
    attendsTo: tokenList(rand, COPYING[kind][1] > 0.3 ? text : undefined, 8, 1, 3),
    processing: PROCESSING,
  };
}

export function attribution(position, target, contrast) {
  const layers = KINDS.length;
  const heads = KINDS[0].length;
  const rand = rng(position * 31 + target + (contrast ?? 0));
  const diff = contrast !== undefined;
  const headValues = new Float32Array(layers * heads);
  KINDS.forEach((kinds, l) =>
    kinds.forEach((kind, h) => {
      const strong = kind === 'induction' ? 3.1 : kind === 'duplicate' ? -1.2 : kind === 'previous' ? 0.6 : 0;
      headValues[l * heads + h] = (strong + (rand() - 0.5) * 0.8) * (diff ? 0.6 : 1);
    }),
  );
  const attn = new Float32Array(layers);
  const attnBias = new Float32Array(layers);
  const mlp = new Float32Array(layers);
  for (let l = 0; l < layers; l++) {
    attnBias[l] = (rand() - 0.5) * 0.2;
    for (let h = 0; h < heads; h++) attn[l] += headValues[l * heads + h];
    attn[l] += attnBias[l];
    mlp[l] = (l === layers - 1 ? 1.9 : -0.7) + (rand() - 0.5);
  }
  const embed = diff ? 0.3 : 2.4;
  const unembedBias = diff ? 0 : 0.12;
  const logit = embed + unembedBias + attn.reduce((a, b) => a + b, 0) + mlp.reduce((a, b) => a + b, 0);
  // Logit lens: the final row is the model's own top-k; earlier rows flatter and noisier.
  const { predictions: preds } = predictions(TOKENS, IDS);
  const k = 5;
  const n = TOKENS.length;
  const ids = new Int32Array((layers + 1) * n * k);
  const probs = new Float32Array((layers + 1) * n * k);
  const strings = [];
  for (let row = 0; row <= layers; row++) {
    for (let pos = 0; pos < n; pos++) {
      const order = [...Array(preds.k).keys()].sort((a, b) => preds.probs[pos * preds.k + b] - preds.probs[pos * preds.k + a]);
      const shuffle = row < layers ? order.map((i) => [i, rand() * (layers - row)]).sort((a, b) => a[1] - b[1]).map(([i]) => i) : order;
      for (let j = 0; j < k; j++) {
        const src = pos * preds.k + shuffle[j];
        const at = (row * n + pos) * k + j;
        const useSelf = row === 0 && j === 0;
        ids[at] = useSelf ? IDS[pos] : preds.ids[src];
        strings.push(useSelf ? TOKENS[pos] : preds.strings[src]);
        probs[at] = row === layers ? preds.probs[pos * preds.k + order[j]] : (0.5 / (j + 1.5)) * (0.35 + 0.35 * row + rand() * 0.2);
      }
    }
  }
  return { position, target, ...(diff ? { contrast } : {}), heads: headValues, attn, mlp, embed, attnBias, unembedBias, logit, lens: { k, ids, probs, strings } };
}
