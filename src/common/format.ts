/**
 * Numbers as people read them, in the user's language (the caller hands in
 * its translation bundle). Pure functions, tested in
 * src/common/__tests__/format.spec.ts.
 */
import { TranslationBundle } from '@jupyterlab/translation';

/**
 * A duration given in seconds, at the precision that matters at its scale:
 * "53 ms", "1.2 s", "42 s", "2 min 5 s", "1 h 3 min". Empty for no value.
 */
export function formatDuration(
  seconds: number | null | undefined,
  trans: TranslationBundle
): string {
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
    return trans.__('%1 ms', ms);
  }
  // Round once at the unit shown, so 9.96 s reads "10 s", never "10.0 s".
  const tenths = Math.round(seconds * 10);
  if (tenths < 100) {
    return trans.__('%1 s', (tenths / 10).toFixed(1));
  }
  const whole = Math.round(seconds);
  if (whole < 60) {
    return trans.__('%1 s', whole);
  }
  if (whole < 3600) {
    const minutes = Math.floor(whole / 60);
    const rest = whole % 60;
    return rest
      ? trans.__('%1 min %2 s', minutes, rest)
      : trans.__('%1 min', minutes);
  }
  const totalMinutes = Math.round(seconds / 60);
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  return minutes
    ? trans.__('%1 h %2 min', hours, minutes)
    : trans.__('%1 h', hours);
}

/** "1.2 GB"-style size; empty when the server did not measure. */
export function formatSize(
  bytes: number | null | undefined,
  trans: TranslationBundle
): string {
  if (bytes === null || bytes === undefined) {
    return '';
  }
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    unit += 1;
  }
  const shown =
    value >= 10 || unit === 0 ? String(Math.round(value)) : value.toFixed(1);
  switch (unit) {
    case 0:
      return trans.__('%1 B', shown);
    case 1:
      return trans.__('%1 KB', shown);
    case 2:
      return trans.__('%1 MB', shown);
    case 3:
      return trans.__('%1 GB', shown);
    default:
      return trans.__('%1 TB', shown);
  }
}

/**
 * How long ago `then` was, from `now` (both in seconds since the epoch):
 * "just now", "5 min ago", "3 h ago", "2 days ago", then the date.
 */
export function formatAge(
  then: number | null | undefined,
  now: number,
  trans: TranslationBundle
): string {
  if (then === null || then === undefined || !Number.isFinite(then)) {
    return '';
  }
  const seconds = Math.max(0, now - then);
  if (seconds < 60) {
    return trans.__('just now');
  }
  if (seconds < 3600) {
    return trans.__('%1 min ago', Math.floor(seconds / 60));
  }
  if (seconds < 86400) {
    return trans.__('%1 h ago', Math.floor(seconds / 3600));
  }
  const days = Math.floor(seconds / 86400);
  if (days < 30) {
    return trans._n('%1 day ago', '%1 days ago', days);
  }
  return new Date(then * 1000).toISOString().slice(0, 10);
}
