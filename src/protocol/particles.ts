/**
 * The particle view (Geshkovski, Letrouit, Polyanskiy, Rigollet 2023, arXiv 2312.10794): tokens as
 * particles on the unit sphere, moved layer by layer by self-attention. Shared by the engine, the
 * host, the webview and the CLI. Matrices travel as row-major Float32Array with their shape named.
 */

/** Per-layer particle statistics of a real model on one token sequence ('particles' request). */
export interface ParticlesResult {
  readonly tokens: readonly number[];
  /** Token texts for labels (same length as tokens). */
  readonly tokenTexts: readonly string[];
  /** Number of snapshots: one per block input (resid_pre of each layer) plus the final normalized stream. */
  readonly layers: readonly ParticleLayer[];
  /** d_model: dimension of the sphere the particles live on (before projection). */
  readonly dModel: number;
  /**
   * Fixed 3-D PCA basis from all layers' points: projection of every layer's particles, [layer, pos, 3].
   * The axes come from the centered cloud but the points are projected as they are (not centered),
   * so the unit particles land inside the unit ball.
   */
  readonly projection: Float32Array;
  /** Variance explained by each of the 3 principal components (fractions of the total). */
  readonly explainedVariance: readonly number[];
  /** β used for the energies, δ used for the cluster counts. */
  readonly beta: number;
  readonly delta: number;
  /** Histogram bin edges of the pairwise cosine histograms (bins + 1 values over [-1, 1]). */
  readonly histogramEdges: Float32Array;
}

export interface ParticleLayer {
  /** Index into the stack of snapshots; `label` says what it is (e.g. "L3 (ln1 input)", "final"). */
  readonly layer: number;
  readonly label: string;
  /** Connected components of the graph cos(x_i, x_j) > 1 − δ. */
  readonly clusters: number;
  /** Cluster id of each token, [pos]. */
  readonly clusterOf: readonly number[];
  /** Mean and minimum pairwise cosine over i < j. */
  readonly meanCosine: number;
  readonly minCosine: number;
  /** Effective rank of the Gram matrix (exp of the entropy of its normalized eigenvalues). */
  readonly effectiveRank: number;
  /** Interaction energy E_β = (1/(2βn²)) Σ_ij exp(β⟨x_i, x_j⟩) on the unit-normalized particles (β = 0: the limit of E_β − 1/(2β), (1/(2n²)) Σ_ij ⟨x_i, x_j⟩). */
  readonly energy: number;
  /** Counts of pairwise cosines (i < j) per bin of ParticlesResult.histogramEdges. */
  readonly histogram: readonly number[];
}

/** One head's attention as the interaction kernel between the particles of its layer ('particleKernel'). */
export interface ParticleKernel {
  readonly layer: number;
  readonly head: number;
  /** The head's attention pattern, [query, key] row-major (n × n). */
  readonly pattern: Float32Array;
  /** Pairwise cosines of the layer's normalized particles, [query, key] row-major (n × n). */
  readonly cosines: Float32Array;
  /** Pre-softmax scores (scaled, causal entries only meaningful; masked entries are 0), [query, key] row-major. */
  readonly scores: Float32Array;
  /** Least-squares fit scores ≈ β·cos + c_i over the causal entries (c_i per query row absorbs softmax shift). */
  readonly effectiveBeta: number;
  /** Coefficient of determination of that fit, within rows (the share of each row's score variation the cosines explain); NaN for fewer than two tokens. */
  readonly r2: number;
}

export type Dynamics = 'sa' | 'usa';
export type Integrator = 'euler' | 'rk4';

/** Parameters of a simulation of the paper's dynamics on the sphere S^{d−1}. */
export interface SimulationParams {
  readonly n: number;
  readonly d: number;
  readonly beta: number;
  /** Time horizon and step. */
  readonly t: number;
  readonly dt: number;
  readonly dynamics: Dynamics;
  readonly integrator: Integrator;
  /** δ for cluster counts and the clustered-pairs fraction. */
  readonly delta: number;
  /** Seed of the random initial points. */
  readonly seed: number;
  /** Initial points: random on the sphere, orthonormal (n ≤ d), or given (n × d row-major). */
  readonly init: 'random' | 'orthonormal' | 'given';
  readonly initialPoints?: Float32Array;
  /**
   * Q, K, V as d × d row-major (default identity); from a head's processed W_Q, W_K, W_OV when set.
   * The paper's column convention: the score is ⟨Q x_i, K x_j⟩ and the value V x_j.
   */
  readonly query?: Float32Array;
  readonly key?: Float32Array;
  readonly value?: Float32Array;
  /** Keep at most this many frames of positions (evenly spaced) for animation; default 100. */
  readonly frames?: number;
}

/** Statistics over time of one simulation; arrays have one value per time step (including t = 0). */
export interface SimulationResult {
  readonly times: readonly number[];
  readonly clusters: readonly number[];
  readonly clusteredFraction: readonly number[];
  readonly minInnerProduct: readonly number[];
  readonly meanInnerProduct: readonly number[];
  readonly energy: readonly number[];
  /** Sampled positions projected to 3-D by the PCA of the initial points (the coordinates themselves when d ≤ 3): [frame, n, 3]. */
  readonly frames: Float32Array;
  readonly frameTimes: readonly number[];
}

/** The (t, β) phase diagram: fraction of clustered pairs at each time for each β. */
export interface PhaseDiagram {
  readonly betas: readonly number[];
  readonly times: readonly number[];
  /** [beta, time] row-major. */
  readonly clusteredFraction: Float32Array;
}
