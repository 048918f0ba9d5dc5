import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cancel } from '../cancel.js';
import { READ_ON_BYTES, READ_ON_MS, ReadOn } from './relay-stream.js';

describe('ReadOn', () => {
  afterEach(() => vi.useRealTimers());

  it('cancels the upstream request once its time is up', () => {
    vi.useFakeTimers();
    const cancel = new Cancel();
    const readOn = new ReadOn(cancel);
    readOn.start();
    vi.advanceTimersByTime(READ_ON_MS - 1);
    expect(cancel.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(cancel.aborted).toBe(true);
    expect(readOn.stopped).toBe(true);
  });

  it('cancels past its byte bound', () => {
    const cancel = new Cancel();
    const readOn = new ReadOn(cancel);
    readOn.start();
    expect(readOn.take(READ_ON_BYTES)).toBe(true);
    expect(readOn.take(1)).toBe(false);
    expect(cancel.aborted).toBe(true);
  });

  it('does nothing more once ended (the usage came in time)', () => {
    vi.useFakeTimers();
    const cancel = new Cancel();
    const readOn = new ReadOn(cancel);
    readOn.start();
    readOn.end();
    vi.advanceTimersByTime(READ_ON_MS * 2);
    expect(cancel.aborted).toBe(false);
  });
});
