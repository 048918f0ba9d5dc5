// Compressed request bodies (`Content-Encoding`, RFC 9110 §8.4): decoded within a size limit so the guard
// reads, masks and records the JSON itself, and re-encoded when the guard changed the body. Codex CLI sends
// `zstd` (when signed in with ChatGPT); other clients send gzip, deflate or br.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { ProxyError } from './error-response.js';
import { decodeZstd, ZstdRefusal } from './zstd.js';

/** The content codings guardrun reads, by their IANA names (RFC 9110 §8.4.1, RFC 8878 §7.2). */
export type Coding = 'gzip' | 'deflate' | 'br' | 'zstd';

/**
 * Largest decoded request body, in bytes: 64 MiB. Above what the providers take in one request (Anthropic's
 * Messages API 32 MB, OpenAI's 50 MB total for files and images), so no real request is refused, while a
 * small compressed body (a 64 KiB gzip of zeros decodes to 64 MiB) cannot make guardrun allocate more.
 */
export const MAX_DECODED_BYTES = 64 * 1024 * 1024;

/** More codings than this on one body are refused (each pass costs up to the limit). */
const MAX_CODINGS = 4;

const ALIASES: Record<string, Coding> = { gzip: 'gzip', 'x-gzip': 'gzip', deflate: 'deflate', br: 'br', zstd: 'zstd' };

const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);
const brotliCompress = promisify(zlib.brotliCompress);
type Compress = (buf: Buffer) => Promise<Buffer>;
const nativeZstdCompress = (zlib as unknown as { zstdCompress?: (buf: Buffer, cb: (e: Error | null, out: Buffer) => void) => void }).zstdCompress;
const zstdCompress: Compress | undefined = nativeZstdCompress ? promisify(nativeZstdCompress) : undefined;

export type DecodeResult = { body: Buffer; codings: Coding[] } | { error: ProxyError };

/**
 * The codings of a `Content-Encoding` header in the order the sender applied them; `identity` and empty
 * members are dropped, names are case-insensitive, `x-gzip` is gzip (RFC 9110 §8.4.1.3).
 * Returns the first name guardrun cannot read as `unknown`.
 */
export function parseContentEncoding(header: string | string[] | undefined): { codings: Coding[]; unknown?: string } {
  const names = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((s) => s.trim().toLowerCase());
  const codings: Coding[] = [];
  for (const name of names) {
    if (name === '' || name === 'identity') continue;
    const coding = ALIASES[name];
    if (!coding) return { codings, unknown: name };
    codings.push(coding);
  }
  return { codings };
}

/**
 * Undoes the `Content-Encoding` of a request body, last coding first. Never allocates much past `maxBytes`
 * (zlib's `maxOutputLength`, fzstd fed slice by slice with a running count).
 * Errors, as the provider-shaped answer to send: 415 `guardrun_body_encoding_unsupported` naming a coding
 * guardrun cannot read; 413 `guardrun_body_too_large` when a decoded body (or any intermediate one) passes
 * `maxBytes`; 400 `guardrun_body_corrupt` when the data is not what its coding says.
 */
export async function decodeRequestBody(raw: Buffer, header: string | string[] | undefined, maxBytes = MAX_DECODED_BYTES): Promise<DecodeResult> {
  const { codings, unknown } = parseContentEncoding(header);
  if (unknown !== undefined) return { error: unsupported(`content-encoding "${printable(unknown)}"`) };
  if (codings.length > MAX_CODINGS) return { error: unsupported(`${codings.length} stacked content codings (at most ${MAX_CODINGS})`) };
  if (codings.length === 0 || raw.length === 0) return { body: raw, codings };
  let body = raw;
  for (const coding of [...codings].reverse()) {
    try {
      body = await decodeOne(coding, body, maxBytes);
    } catch (error) {
      return { error: refusal(coding, error, maxBytes) };
    }
  }
  return { body, codings };
}

type Inflate = (buf: Buffer, options: zlib.ZlibOptions | zlib.BrotliOptions) => Promise<{ buffer: Buffer; engine: { bytesWritten: number } }>;
const ZLIB_DECODERS: Record<Exclude<Coding, 'zstd'>, Inflate> = {
  gzip: promisify(zlib.gunzip) as unknown as Inflate, // every member, as RFC 1952 allows several
  deflate: promisify(zlib.inflate) as unknown as Inflate, // the zlib format, as RFC 9110 §8.4.1.2 defines "deflate"
  br: promisify(zlib.brotliDecompress) as unknown as Inflate,
};

async function decodeOne(coding: Coding, body: Buffer, maxBytes: number): Promise<Buffer> {
  if (coding === 'zstd') return decodeZstd(body, maxBytes);
  // `info` tells how much input the decoder used: zlib stops at the end of a deflate or brotli stream and
  // ignores what follows, which an upstream might still read. Trailing bytes are refused, not skipped.
  const { buffer, engine } = await ZLIB_DECODERS[coding](body, { maxOutputLength: maxBytes, info: true });
  if (engine.bytesWritten !== body.length) throw new Error(`${body.length - engine.bytesWritten} bytes follow the end of the ${coding} data`);
  return buffer;
}

function refusal(coding: Coding, error: unknown, maxBytes: number): ProxyError {
  const e = error as { code?: string; message?: string };
  if (e.code === 'ERR_BUFFER_TOO_LARGE' || (error instanceof ZstdRefusal && error.kind === 'too-large')) {
    const what = error instanceof ZstdRefusal && error.window ? `has a frame that needs a ${error.window}-byte window, more than` : 'decodes to more than';
    return { status: 413, code: 'guardrun_body_too_large', message: `the ${coding}-encoded request body ${what} ${sizeOf(maxBytes)}, guardrun's limit for a decoded body; send a smaller request` };
  }
  if (error instanceof ZstdRefusal && error.kind === 'unsupported') return unsupported(error.message);
  const why = error instanceof ZstdRefusal ? error.message : `not valid ${coding} data (${e.message ?? 'unknown error'})`;
  return { status: 400, code: 'guardrun_body_corrupt', message: `guardrun could not decode the request body (content-encoding ${coding}): ${why}` };
}

/** `64 MiB`, or a byte count when not a whole number of MiB. */
function sizeOf(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

function unsupported(what: string): ProxyError {
  return {
    status: 415,
    code: 'guardrun_body_encoding_unsupported',
    message: `guardrun cannot read a request body sent with ${what}, so it cannot check it; send it uncompressed or with gzip, deflate, br or zstd`,
  };
}

/** A header value as it may appear in a message: printable ASCII, at most 40 characters. */
function printable(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 37)}...` : clean;
}

/** True when this Node can encode every one of `codings` again (zstd needs Node >= 22.15 / 23.8). */
export function canEncode(codings: readonly Coding[]): boolean {
  return codings.every((c) => c !== 'zstd' || zstdCompress !== undefined);
}

/**
 * A changed (redacted) body for the upstream: encoded again with the agent's codings, in the agent's order,
 * when this Node can encode them all; otherwise sent as is, with no `Content-Encoding` (identity).
 * Returns the bytes and the header value to send (`undefined`: remove the header).
 */
export async function encodeRequestBody(body: Buffer, codings: readonly Coding[]): Promise<{ body: Buffer; contentEncoding: string | undefined }> {
  if (codings.length === 0 || !canEncode(codings)) return { body, contentEncoding: undefined };
  let out = body;
  for (const coding of codings) out = await encodeOne(coding, out);
  return { body: out, contentEncoding: codings.join(', ') };
}

function encodeOne(coding: Coding, body: Buffer): Promise<Buffer> {
  switch (coding) {
    case 'gzip':
      return gzip(body);
    case 'deflate':
      return deflate(body);
    case 'br':
      // Quality 5 rather than the default 11: a few ms for a large prompt instead of a second.
      return brotliCompress(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
    case 'zstd':
      return zstdCompress!(body);
  }
}
