import { describe, expect, it } from 'vitest';
import { zstdBomb, zstdCompress, zstdStreamFrame } from '../../fixtures/zstd-frames.mjs';
import { checkFrames, decodeZstd, ZstdRefusal } from './zstd.js';

const MiB = 1024 * 1024;
const DATA = Buffer.from('{"input":"' + 'the quick brown fox '.repeat(20_000) + '"}');

/** A frame header alone, as bytes: magic, descriptor, then the given fields. */
const header = (...bytes: number[]) => Buffer.from([0x28, 0xb5, 0x2f, 0xfd, ...bytes]);

function refusal(fn: () => unknown): ZstdRefusal {
  try {
    fn();
  } catch (error) {
    if (error instanceof ZstdRefusal) return error;
    throw error;
  }
  throw new Error('no refusal');
}

describe('decodeZstd', () => {
  it('decodes real zstd output, Codex-shaped frames, and every frame of a multi-frame body', () => {
    // Buffer.equals: a deep toEqual walks 400 KB byte by byte for seconds.
    expect(decodeZstd(zstdCompress(DATA), 64 * MiB).equals(DATA)).toBe(true);
    expect(decodeZstd(zstdStreamFrame(DATA), 64 * MiB).equals(DATA)).toBe(true);
    const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]), zstdCompress(DATA)]);
    expect(decodeZstd(skippable, 64 * MiB).equals(DATA)).toBe(true);
    // Node 24's zlib.zstdDecompress returns only the first frame here; the second must be read too.
    const frames = Buffer.concat([zstdCompress('{"input":"harmless", '), zstdCompress('"tail":"production database password"}')]);
    expect(decodeZstd(frames, MiB).toString()).toBe('{"input":"harmless", "tail":"production database password"}');
  });

  it('stops a bomb that declares no size at the limit', () => {
    const bomb = zstdBomb(8 * MiB);
    expect(bomb.length).toBeLessThan(300);
    expect(refusal(() => decodeZstd(bomb, MiB)).kind).toBe('too-large');
    expect(decodeZstd(bomb, 8 * MiB).length).toBe(8 * MiB);
  });

  it('refuses corrupt data', () => {
    const bad = Buffer.from(zstdCompress(DATA));
    bad.fill(0xff, 20, 60); // inside the compressed block
    expect(refusal(() => decodeZstd(bad, 64 * MiB)).kind).toBe('corrupt');
  });
});

describe('checkFrames (headers only, nothing decoded)', () => {
  it('refuses a frame asking for a window over the limit before any decoder allocates it', () => {
    // Window descriptor 0xa0: 2^(10+20) = 1 GiB; fzstd would allocate that much up front.
    const e = refusal(() => checkFrames(header(0x00, 0xa0, 0x01, 0x00, 0x00), 64 * MiB));
    expect(e).toMatchObject({ kind: 'too-large', window: 1024 * MiB });
  });

  it('refuses a declared content size over the limit, alone or summed over frames', () => {
    // Single segment, 4-byte content size of 100 MiB.
    const big = Buffer.alloc(4);
    big.writeUInt32LE(100 * MiB);
    expect(refusal(() => checkFrames(header(0xa0, ...big, 0x01, 0x00, 0x00), 64 * MiB)).kind).toBe('too-large');
    const half = zstdCompress(Buffer.alloc(600 * 1024));
    expect(() => checkFrames(half, MiB)).not.toThrow();
    expect(refusal(() => checkFrames(Buffer.concat([half, half]), MiB)).kind).toBe('too-large');
  });

  it('refuses frames that need a dictionary (415), reserved bits, truncation and stray bytes (400)', () => {
    expect(refusal(() => checkFrames(header(0x01, 0x58, 0x07, 0x01, 0x00, 0x00), MiB)).kind).toBe('unsupported');
    expect(refusal(() => checkFrames(header(0x08, 0x58, 0x01, 0x00, 0x00), MiB)).kind).toBe('corrupt');
    expect(refusal(() => checkFrames(zstdStreamFrame(DATA).subarray(0, 1000), 64 * MiB)).kind).toBe('corrupt');
    expect(refusal(() => checkFrames(Buffer.concat([zstdCompress(DATA), Buffer.from([0, 1])]), 64 * MiB)).kind).toBe('corrupt');
    expect(refusal(() => checkFrames(Buffer.from('{"model":"x"}'), 64 * MiB)).kind).toBe('corrupt');
  });
});
