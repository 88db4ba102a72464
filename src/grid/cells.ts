/**
 * How the results table shows a cell and where a run's output notebook is.
 */

/**
 * The output notebook to open with the docmanager: the server names it relative
 * to its root; one outside the root (an absolute path) cannot be opened.
 */
export function outputNotebookPath(
  path: string | null | undefined
): string | null {
  return path && !path.startsWith('/') ? path : null;
}

/** A cell value as text: numbers keep up to 6 significant digits. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? String(value)
      : String(+value.toPrecision(6));
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

/** The classes of a run's status badge (style/base.css colours each). */
export function runStatusClass(status: string): string {
  return `jp-EnvManager-runStatus jp-mod-${status}`;
}
