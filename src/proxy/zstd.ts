// Zstandard request bodies (RFC 8878), decoded within a size limit by the pure-JS decoder `fzstd`, fed in
// slices so the running output size is counted. Not Node's own `zlib.zstdDecompress` (22.15+), even where it
// exists: it stops after the first frame (seen on Node 24.21), so a second frame would reach the upstream
// unchecked. Before decoding, the frames are walked header by header: a frame header alone can ask a decoder
// for a window of up to 2 GiB, which guardrun refuses instead of allocating.
import { createRequire } from 'node:module';

/** Why a zstd body was not decoded: `too-large` (over the limit), `unsupported` (a dictionary), `corrupt`. */
export class ZstdRefusal extends Error {
  constructor(
    readonly kind: 'too-large' | 'unsupported' | 'corrupt',
    message: string,
    /** For `too-large` because of the window a frame asks for: that window, in bytes. */
    readonly window?: number,
  ) {
    super(message);
  }
}

const MAGIC = 0xfd2fb528;
const MAX_BLOCK = 128 * 1024; // Block_Maximum_Size, RFC 8878 §3.1.1.2
const SLICE = 64 * 1024;

const require = createRequire(import.meta.url);

/**
 * Decodes a zstd body (every frame, skippable frames allowed) to at most `maxBytes` bytes. Synchronous
 * (fzstd is plain JS): measured 0.6 ms for a 75 KB request (Codex's first is 74 KB), 9 ms for 750 KB.
 * @throws ZstdRefusal — `too-large` when the output, a declared content size or a frame's window is over
 * `maxBytes`; `unsupported` for frames that need a dictionary; `corrupt` for anything malformed.
 */
export function decodeZstd(body: Buffer, maxBytes: number): Buffer {
  checkFrames(body, maxBytes);
  // Loaded at the first zstd body: nothing to pay at start for agents that never compress.
  const { Decompress } = require('fzstd') as typeof import('fzstd');
  const out: Uint8Array[] = [];
  let size = 0;
  // Each call hands over one freshly allocated block (at most 128 KiB), so the count stops a bomb early.
  const stream = new Decompress((chunk) => {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    if (chunk.length > 0) out.push(chunk);
  });
  try {
    for (let at = 0; at < body.length; at += SLICE) stream.push(body.subarray(at, at + SLICE), at + SLICE >= body.length);
  } catch (error) {
    if (error instanceof ZstdRefusal) throw error;
    throw new ZstdRefusal('corrupt', `not valid zstd data (${(error as Error).message})`);
  }
  return Buffer.concat(out, size);
}

function tooLarge(maxBytes: number): ZstdRefusal {
  return new ZstdRefusal('too-large', `it decodes to more than ${maxBytes} bytes`);
}

/**
 * Walks every frame's header and block headers (RFC 8878 §3.1) without decoding: the window each frame asks
 * for and the content sizes it declares must fit `maxBytes`, no frame may need a dictionary, and the blocks
 * must account for every byte.
 */
export function checkFrames(body: Buffer, maxBytes: number): void {
  let at = 0;
  let declared = 0;
  const need = (n: number): void => {
    if (at + n > body.length) throw new ZstdRefusal('corrupt', 'not valid zstd data (it ends inside a frame)');
  };
  while (at < body.length) {
    need(4);
    const magic = body.readUInt32LE(at);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      need(8); // a skippable frame: magic, 4-byte size, user data
      at += 8 + body.readUInt32LE(at + 4);
      need(0);
      continue;
    }
    if (magic !== MAGIC) throw new ZstdRefusal('corrupt', 'not valid zstd data (no zstd frame where one should start)');
    at += 4;
    need(1);
    const descriptor = body[at++];
    const fcsFlag = descriptor >> 6;
    const singleSegment = (descriptor >> 5) & 1;
    const checksum = (descriptor >> 2) & 1;
    const dictFlag = descriptor & 3;
    if (descriptor & 8) throw new ZstdRefusal('corrupt', 'not valid zstd data (reserved bit set in a frame header)');
    let window = 0;
    if (!singleSegment) {
      need(1);
      const w = body[at++];
      const base = 2 ** (10 + (w >> 3));
      window = base + (base / 8) * (w & 7);
    }
    const dictBytes = [0, 1, 2, 4][dictFlag];
    need(dictBytes);
    const dictionary = dictBytes === 0 ? 0 : body.readUIntLE(at, dictBytes);
    at += dictBytes;
    if (dictionary !== 0) throw new ZstdRefusal('unsupported', `a zstd frame needs dictionary ${dictionary}, and the zstd content coding carries none`);
    const fcsBytes = fcsFlag === 0 ? singleSegment : 2 ** fcsFlag;
    need(fcsBytes);
    let contentSize: number | undefined;
    if (fcsBytes === 8) contentSize = Number(body.readBigUInt64LE(at));
    else if (fcsBytes > 0) contentSize = body.readUIntLE(at, fcsBytes) + (fcsBytes === 2 ? 256 : 0);
    at += fcsBytes;
    if (singleSegment) window = contentSize ?? 0;
    if (window > maxBytes) throw new ZstdRefusal('too-large', `a zstd frame asks for a ${window}-byte window, more than the ${maxBytes}-byte limit`, window);
    declared += contentSize ?? 0;
    if (declared > maxBytes) throw tooLarge(maxBytes);
    for (let last = 0; !last; ) {
      need(3);
      const header = body.readUIntLE(at, 3);
      at += 3;
      last = header & 1;
      const type = (header >> 1) & 3;
      const size = header >> 3;
      if (type === 3 || size > MAX_BLOCK) throw new ZstdRefusal('corrupt', 'not valid zstd data (a block header is malformed)');
      at += type === 1 ? 1 : size; // an RLE block carries one byte, repeated `size` times
      need(0);
    }
    at += checksum * 4;
    need(0);
  }
}
