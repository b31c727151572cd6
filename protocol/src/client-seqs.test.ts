import { describe, expect, it } from 'vitest';
import { SeqTracker } from './client-seqs';

describe('SeqTracker', () => {
  it('de-duplicates and advances the floor only over contiguous seqs', () => {
    const t = new SeqTracker();
    t.track('c', 3);
    expect(t.see('c', 2)).toBe(false);
    expect(t.see('c', 5)).toBe(true);
    expect(t.see('c', 5)).toBe(false);
    expect(t.floor('c')).toBe(3);
    expect(t.hasGap('c')).toBe(true);
    expect(t.see('c', 4)).toBe(true);
    expect(t.floor('c')).toBe(5);
    expect(t.hasGap('c')).toBe(false);
  });

  it('only the first track counts, so a UI reporting the top of a list with a hole cannot hide the hole', () => {
    const t = new SeqTracker();
    t.track('c', 5);
    t.see('c', 8);
    t.track('c', 8);
    expect(t.floor('c')).toBe(5);
    expect(t.see('c', 6)).toBe(true);
  });

  it('de-duplicates untracked conversations from the first live message, and the UI word replaces that guess', () => {
    const t = new SeqTracker();
    expect(t.see('c', 41)).toBe(true);
    expect(t.see('c', 41)).toBe(false);
    expect(t.see('c', 42)).toBe(true);
    expect(t.isTracked('c')).toBe(false);
    expect(t.tracked()).toEqual([]);
    t.track('c', 30);
    expect(t.isTracked('c')).toBe(true);
    expect(t.floor('c')).toBe(30);
    expect(t.see('c', 31)).toBe(true);
    expect(t.tracked()).toEqual(['c']);
    t.untrack('c');
    expect(t.floor('c')).toBe(0);
  });
});
