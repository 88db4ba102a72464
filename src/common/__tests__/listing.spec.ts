/**
 * The keyboard and scroll arithmetic of the UI's lists.
 */
import { nextIndex, scrollToShow, visibleRange } from '../listing';

describe('nextIndex', () => {
  it.each([
    ['ArrowDown', 3, 4],
    ['ArrowUp', 3, 2],
    ['ArrowUp', 0, 0],
    ['ArrowDown', 9, 9],
    ['PageDown', 3, 9],
    ['PageUp', 3, 0],
    ['Home', 5, 0],
    ['End', 5, 9]
  ])('%p from %p goes to %p of 10', (key, from, to) => {
    expect(nextIndex(from, key, 10, 10)).toBe(to);
  });

  it('ignores other keys and empty lists', () => {
    expect(nextIndex(3, 'a', 10)).toBeNull();
    expect(nextIndex(0, 'ArrowDown', 0)).toBeNull();
  });
});

describe('scrollToShow', () => {
  it('scrolls only as far as needed', () => {
    // Rows of 100 px in a 300 px viewport scrolled to 1,000.
    expect(scrollToShow(11, 100, 1000, 300)).toBe(1000);
    expect(scrollToShow(5, 100, 1000, 300)).toBe(500);
    expect(scrollToShow(20, 100, 1000, 300)).toBe(1800);
  });

  it('agrees with visibleRange: the row shown is rendered', () => {
    const top = scrollToShow(999, 112, 0, 480);
    const { start, end } = visibleRange(top, 480, 112, 1000, 0);
    expect(start).toBeLessThanOrEqual(999);
    expect(end).toBe(1000);
  });
});
