/**
 * Wording shared by every safetensors error, so messages read alike whichever file raised them:
 * one line, the file first, odd names escaped, unexpected values shown briefly.
 */
import * as path from 'node:path';
import { EngineError, type EngineErrorCode } from '../../errors';

/**
 * An error about a file's contents, led by the file's base name: the folder is noise in a one-line
 * message, and the full path stays on the error's `file` for whoever needs it.
 */
export function fileError(code: EngineErrorCode, file: string, message: string, tensor?: string): EngineError {
  return new EngineError(code, `${path.basename(file)}: ${message}`, file, tensor);
}

/** A name in double quotes, with any odd characters escaped so the message stays one line. */
export function quote(name: string): string {
  return JSON.stringify(name);
}

/** Short description of an unexpected JSON value for error messages. */
export function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The message of anything thrown, since a `catch` cannot assume it got an Error. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why a filesystem call failed, in words a user can act on for the common cases. */
export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return errorMessage(error);
}
