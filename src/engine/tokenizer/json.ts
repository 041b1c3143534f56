/** Reading the loosely typed JSON of tokenizer.json and tokenizer_config.json. */

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * All objects of a component tree, depth first: the component itself, then the members of a
 * Sequence (whichever of normalizer, pre-tokenizer, post-processor or decoder it is).
 */
export function components(node: unknown): Json[] {
  if (!isObject(node)) return [];
  const children = [node.normalizers, node.pretokenizers, node.processors, node.decoders]
    .filter(Array.isArray)
    .flatMap((list) => (list as unknown[]).flatMap(components));
  return [node, ...children];
}

/** The components of a tree with the given `type`, depth first. */
export function ofType(node: unknown, type: string): Json[] {
  return components(node).filter((c) => c.type === type);
}
