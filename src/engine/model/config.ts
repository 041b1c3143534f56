/**
 * Reading a Hugging Face `config.json`: typed accessors that fail with a message naming the file
 * and the key, plus the pieces several families share (rotary settings, attention windows).
 */
import { EngineError } from '../errors';
import type { RopeScaling, RotarySpec } from './spec';

/** A parsed config.json, with the path it came from for error messages. */
export interface HfConfig {
  readonly file: string;
  readonly raw: Readonly<Record<string, unknown>>;
}

function badConfig(config: HfConfig, message: string): EngineError {
  return new EngineError('BAD_CONFIG', `${config.file}: ${message}`, config.file);
}

/** First of `keys` present in the config (families name the same thing differently). */
function firstPresent(config: HfConfig, keys: readonly string[]): [string, unknown] | undefined {
  for (const key of keys) {
    const value = config.raw[key];
    if (value !== undefined && value !== null) return [key, value];
  }
  return undefined;
}

/** A required positive integer, e.g. `n_embd` or `hidden_size`. */
export function requirePositiveInt(config: HfConfig, ...keys: string[]): number {
  const found = firstPresent(config, keys);
  if (!found) throw badConfig(config, `missing "${keys.join('" or "')}"`);
  const [key, value] = found;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw badConfig(config, `"${key}" must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** An optional positive integer; `fallback` when absent or null. */
export function optionalPositiveInt(config: HfConfig, fallback: number, ...keys: string[]): number {
  return firstPresent(config, keys) ? requirePositiveInt(config, ...keys) : fallback;
}

/** An optional finite number; `fallback` when absent or null. */
export function optionalNumber(config: HfConfig, fallback: number, ...keys: string[]): number {
  const found = firstPresent(config, keys);
  if (!found) return fallback;
  const [key, value] = found;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw badConfig(config, `"${key}" must be a number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** An optional boolean; `fallback` when absent or null. */
export function optionalBool(config: HfConfig, fallback: boolean, key: string): boolean {
  const value = config.raw[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw badConfig(config, `"${key}" must be true or false`);
  return value;
}

/** An optional string; `fallback` when absent or null. */
export function optionalString(config: HfConfig, fallback: string, ...keys: string[]): string {
  const found = firstPresent(config, keys);
  if (!found) return fallback;
  const [key, value] = found;
  if (typeof value !== 'string') throw badConfig(config, `"${key}" must be a string`);
  return value;
}

/** A token id field (bos/eos), which some configs store as a list. */
export function optionalTokenId(config: HfConfig, key: string): number | undefined {
  const value = config.raw[key];
  const id = Array.isArray(value) ? value[0] : value;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}

/**
 * Rope parameters live in different places across transformers versions: top-level `rope_theta`
 * and `rope_scaling` (v4), or a `rope_parameters` object (v5). Reads either.
 */
function ropeParameters(config: HfConfig): Record<string, unknown> {
  const params = config.raw['rope_parameters'];
  if (params && typeof params === 'object' && !Array.isArray(params)) return params as Record<string, unknown>;
  const scaling = config.raw['rope_scaling'];
  if (scaling && typeof scaling === 'object' && !Array.isArray(scaling)) return scaling as Record<string, unknown>;
  return {};
}

function numberIn(params: Record<string, unknown>, key: string): number | undefined {
  const value = params[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Rotary settings. `partialFactorKeys` names where the family stores the fraction of each head
 * that is rotated (GPT-NeoX: `rotary_pct`); `baseKeys` where it stores the base.
 */
export function rotarySpec(
  config: HfConfig,
  dHead: number,
  options: { baseKeys: string[]; partialFactorKeys: string[] },
): RotarySpec {
  const params = ropeParameters(config);
  const base = numberIn(params, 'rope_theta') ?? optionalNumber(config, 10000, ...options.baseKeys);
  const fraction =
    numberIn(params, 'partial_rotary_factor') ?? optionalNumber(config, 1, ...options.partialFactorKeys);
  if (!(fraction > 0 && fraction <= 1)) throw badConfig(config, `rotary fraction must be in (0, 1], got ${fraction}`);
  // Hugging Face truncates: int(head_size * rotary_pct).
  const dims = Math.floor(dHead * fraction);
  if (dims % 2 !== 0) throw badConfig(config, `rotary dimensions per head must be even, got ${dims}`);
  return { dims, base, scaling: ropeScaling(config, params) };
}

function ropeScaling(config: HfConfig, params: Record<string, unknown>): RopeScaling {
  const type = params['rope_type'] ?? params['type'] ?? 'default';
  switch (type) {
    case 'default':
      return { type: 'default' };
    case 'linear': {
      const factor = numberIn(params, 'factor');
      if (factor === undefined) throw badConfig(config, 'linear rope scaling needs a "factor"');
      return { type: 'linear', factor };
    }
    case 'llama3': {
      const factor = numberIn(params, 'factor');
      const lowFreqFactor = numberIn(params, 'low_freq_factor');
      const highFreqFactor = numberIn(params, 'high_freq_factor');
      const originalContext = numberIn(params, 'original_max_position_embeddings');
      if (factor === undefined || lowFreqFactor === undefined || highFreqFactor === undefined || originalContext === undefined) {
        throw badConfig(config, 'llama3 rope scaling needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings');
      }
      return { type: 'llama3', factor, lowFreqFactor, highFreqFactor, originalContext };
    }
    default:
      throw new EngineError(
        'UNSUPPORTED_ARCHITECTURE',
        `${config.file}: rope scaling "${String(type)}" is not supported (supported: default, linear, llama3)`,
        config.file,
      );
  }
}

/**
 * Per-layer attention windows for families with sliding-window layers (Mistral, Qwen2 and any
 * config that lists `layer_types`). null = full causal attention.
 */
export function slidingWindows(config: HfConfig, nLayers: number, slidingByDefault: boolean): (number | null)[] {
  const windowValue = config.raw['sliding_window'];
  const window = typeof windowValue === 'number' && windowValue > 0 ? windowValue : null;
  const layerTypes = config.raw['layer_types'];
  if (Array.isArray(layerTypes)) {
    if (layerTypes.length !== nLayers) {
      throw badConfig(config, `"layer_types" lists ${layerTypes.length} layers but the model has ${nLayers}`);
    }
    return layerTypes.map((type) => (type === 'sliding_attention' ? window : null));
  }
  if (!slidingByDefault || window === null) return new Array<number | null>(nLayers).fill(null);
  // Qwen2 before `layer_types`: layers at index ≥ max_window_layers slide, when enabled.
  if (config.raw['use_sliding_window'] === false) return new Array<number | null>(nLayers).fill(null);
  const firstSliding = config.raw['use_sliding_window'] === true ? optionalNumber(config, 0, 'max_window_layers') : 0;
  return Array.from({ length: nLayers }, (_, layer) => (layer >= firstSliding ? window : null));
}
