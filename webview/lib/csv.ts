/** CSV and JSON exports of the numbers behind the views. Pure; RFC 4180 quoting. */

/** One CSV field: quoted when it holds a comma, quote, CR, LF or surrounding spaces; quotes doubled. */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (value === Infinity) return 'Infinity';
    if (value === -Infinity) return '-Infinity';
    return String(value);
  }
  const s = String(value);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV document: a header row, then the rows; lines end with CRLF. */
export function toCsv(header: readonly string[], rows: Iterable<readonly (string | number | boolean | null | undefined)[]>): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  return lines.join('\r\n') + '\r\n';
}

/**
 * A labeled matrix as CSV: the corner cell, then one column per column label; each row starts with
 * its label. `values[offset + r * cols + c]`.
 */
export function matrixCsv(
  values: ArrayLike<number>,
  offset: number,
  rowLabels: readonly string[],
  colLabels: readonly string[],
  corner = '',
): string {
  const cols = colLabels.length;
  const rows: (string | number)[][] = [];
  for (let r = 0; r < rowLabels.length; r++) {
    const row: (string | number)[] = [rowLabels[r]!];
    for (let c = 0; c < cols; c++) row.push(values[offset + r * cols + c]!);
    rows.push(row);
  }
  return toCsv([corner, ...colLabels], rows);
}

/** Labels that stay unique in a CSV header: a repeated token gets its position, "the@7". */
export function uniqueLabels(labels: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return labels.map((l, i) => ((counts.get(l) ?? 0) > 1 ? `${l}@${i}` : l));
}

/** JSON with typed arrays written as plain arrays, indented two spaces. */
export function toJson(value: unknown): string {
  return (
    JSON.stringify(
      value,
      (_key, v: unknown) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v),
      2,
    ) + '\n'
  );
}
