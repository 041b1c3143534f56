/**
 * Checks for untrusted JSON: a header or index can hold any value where an object, a count or a
 * string is expected, and each such surprise must become a clear error rather than a crash later.
 */
import type { EngineError } from '../../errors';
import { describeJson, errorMessage } from './messages';

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-negative integer a JS number holds exactly. */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Parses text that must hold a JSON object. `fail` turns a message such as "is not valid JSON"
 * into the caller's error, adding what was being parsed.
 */
export function parseJsonObject(text: string, fail: (message: string) => EngineError): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail(`is not valid JSON (${errorMessage(error)})`);
  }
  if (!isObject(json)) throw fail(`must be a JSON object, found ${describeJson(json)}`);
  return json;
}
