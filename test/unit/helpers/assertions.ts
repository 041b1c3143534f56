import assert from 'node:assert/strict';
import { EngineError, type EngineErrorCode } from '../../../src/engine/errors';

/** Asserts a rejection with an EngineError of `code` whose message mentions every `mention`. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: EngineErrorCode,
  mentions: string[],
  fields: { file?: string; tensor?: string } = {},
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof EngineError, `expected an EngineError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    for (const mention of mentions) {
      assert.ok(error.message.includes(mention), `"${error.message}" should mention ${mention}`);
    }
    if (fields.file !== undefined) assert.equal(error.file, fields.file);
    if (fields.tensor !== undefined) assert.equal(error.tensor, fields.tensor);
    return true;
  });
}
