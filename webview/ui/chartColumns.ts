/**
 * Rows of equal charts laid out in columns by the width available: how many fit, and the width
 * each chart is told. The CSS (media/panel.css) uses the same gaps.
 */

/** The width of one of `columns` columns with `gap` between them. */
function columnWidth(width: number, columns: number, gap: number): number {
  return Math.floor((width - gap * (columns - 1)) / columns);
}

/**
 * A `.chart-columns` row (heatmaps, 24 px apart): one, two, or from `threeFrom` three to a row, set
 * by the row's `cols-2` / `cols-3` classes. Returns the width of one column.
 */
export function layoutColumns(row: HTMLElement, width: number, threeFrom: number): number {
  const columns = width >= threeFrom ? 3 : width >= 640 ? 2 : 1;
  row.classList.toggle('cols-2', columns === 2);
  row.classList.toggle('cols-3', columns === 3);
  return columnWidth(width, columns, 24);
}

/** The width of one small line chart in a `.particles-charts` row (16 px apart): four, two or one to a row. */
export function smallChartWidth(width: number): number {
  return columnWidth(width, width >= 1100 ? 4 : width >= 560 ? 2 : 1, 16);
}
