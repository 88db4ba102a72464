/**
 * Numbers as people read them. Pure functions, tested in
 * src/common/__tests__/format.spec.ts.
 */

/**
 * A duration given in seconds, at the precision that matters at its scale:
 * "53 ms", "1.2 s", "42 s", "2 min 5 s", "1 h 3 min". Empty for no value.
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (
    seconds === null ||
    seconds === undefined ||
    !Number.isFinite(seconds) ||
    seconds < 0
  ) {
    return '';
  }
  const ms = Math.round(seconds * 1000);
  if (ms < 1000) {
    return `${ms} ms`;
  }
  // Round once at the unit shown, so 9.96 s reads "10 s", never "10.0 s".
  const tenths = Math.round(seconds * 10);
  if (tenths < 100) {
    return `${(tenths / 10).toFixed(1)} s`;
  }
  const whole = Math.round(seconds);
  if (whole < 60) {
    return `${whole} s`;
  }
  if (whole < 3600) {
    const minutes = Math.floor(whole / 60);
    const rest = whole % 60;
    return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  }
  const totalMinutes = Math.round(seconds / 60);
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
}

/** "1.2 GB"-style size; null when the server did not measure. */
export function formatSize(bytes: number | null): string {
  if (bytes === null || bytes === undefined) {
    return '';
  }
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/**
 * How long ago `then` was, from `now` (both in seconds since the epoch):
 * "just now", "5 min ago", "3 h ago", "2 days ago", then the date.
 */
export function formatAge(
  then: number | null | undefined,
  now: number
): string {
  if (then === null || then === undefined || !Number.isFinite(then)) {
    return '';
  }
  const seconds = Math.max(0, now - then);
  if (seconds < 60) {
    return 'just now';
  }
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)} min ago`;
  }
  if (seconds < 86400) {
    return `${Math.floor(seconds / 3600)} h ago`;
  }
  const days = Math.floor(seconds / 86400);
  if (days < 30) {
    return days === 1 ? '1 day ago' : `${days} days ago`;
  }
  return new Date(then * 1000).toISOString().slice(0, 10);
}
