/**
 * `@tensorflow/tfjs-node` 4.22 calls `util.isNullOrUndefined` (and `util.isArray`), which Node 23
 * removed. VS Code's and code-server's extension hosts run on newer Node versions, where the
 * package loads and then fails every kernel with "isNullOrUndefined is not a function". Putting the
 * two back, with their documented meaning, before the package loads keeps the native backend usable.
 */
interface LegacyUtil {
  isNullOrUndefined?: (value: unknown) => boolean;
  isArray?: (value: unknown) => boolean;
}

export function restoreLegacyUtil(): void {
  // The CommonJS exports object itself (an ES namespace import would be read-only).
  const util = require('node:util') as LegacyUtil;
  util.isNullOrUndefined ??= (value) => value === null || value === undefined;
  util.isArray ??= (value) => Array.isArray(value);
}
