/**
 * Notebook files the browser suites write through the contents API (shared by the
 * Galata specs and the as-installed suite, so it imports neither's fixtures).
 */

/** A Python notebook: a `parameters`-tagged cell, then the given cells. */
export function parametersNotebook(
  parameters: string,
  ...body: string[]
): string {
  const cell = (source: string, tags: string[] = []) => ({
    cell_type: 'code',
    execution_count: null,
    metadata: { tags },
    outputs: [],
    source
  });
  return JSON.stringify({
    cells: [
      cell(parameters, ['parameters']),
      ...body.map(source => cell(source))
    ],
    metadata: {
      kernelspec: {
        name: 'python3',
        display_name: 'Python 3',
        language: 'python'
      }
    },
    nbformat: 4,
    nbformat_minor: 5
  });
}
