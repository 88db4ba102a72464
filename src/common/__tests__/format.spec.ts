import { formatAge, formatDuration } from '../format';
import { englishBundle as trans } from '../translation';

describe('formatDuration', () => {
  it.each([
    [0.052758, '53 ms'],
    [0, '0 ms'],
    [0.0004, '0 ms'],
    [0.9994, '999 ms'],
    // Rounds up into the next unit rather than printing "1000 ms".
    [0.9996, '1.0 s'],
    [1.234, '1.2 s'],
    [9.96, '10 s'],
    [42.4, '42 s'],
    [59.6, '1 min'],
    [125, '2 min 5 s'],
    [3599.6, '1 h'],
    [3780, '1 h 3 min'],
    [7200, '2 h']
  ])('formats %p s as %p', (seconds, text) => {
    expect(formatDuration(seconds, trans)).toBe(text);
  });

  it.each([null, undefined, NaN, Infinity, -1])(
    'shows nothing for %p',
    value => {
      expect(formatDuration(value as number | null, trans)).toBe('');
    }
  );
});

describe('formatAge', () => {
  const now = 1_700_000_000;
  it.each([
    [now - 5, 'just now'],
    [now - 300, '5 min ago'],
    [now - 3 * 3600, '3 h ago'],
    [now - 86400, '1 day ago'],
    [now - 5 * 86400, '5 days ago'],
    [now - 40 * 86400, '2023-10-05'],
    [now + 60, 'just now']
  ])('%p reads %p', (then, text) => {
    expect(formatAge(then, now, trans)).toBe(text);
  });

  it('says nothing without a time', () => {
    expect(formatAge(null, now, trans)).toBe('');
    expect(formatAge(undefined, now, trans)).toBe('');
  });
});
