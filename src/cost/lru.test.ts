import { describe, expect, it } from 'vitest';
import { Lru } from './lru.js';

describe('Lru', () => {
  it('refreshes on get and evicts the oldest by count', () => {
    const lru = new Lru<number>(2, 1000);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.get('c')).toBe(3);
    expect(lru.size).toBe(2);
  });

  it('evicts by total key length and re-counts replaced keys once', () => {
    const lru = new Lru<number>(100, 6);
    lru.set('abc', 1);
    lru.set('abc', 2);
    lru.set('def', 3);
    expect(lru.size).toBe(2);
    lru.set('g', 4);
    expect(lru.get('abc')).toBeUndefined();
    expect(lru.get('def')).toBe(3);
    expect(lru.get('g')).toBe(4);
  });
});
