/** A finite number, or null for anything else (NaN, strings, missing). */
export function numeric(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
