import { brotliCompressSync, constants, deflateRawSync, deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { zstdBomb, zstdCompress, zstdStreamFrame } from '../../fixtures/zstd-frames.mjs';
import { canEncode, decodeRequestBody, encodeRequestBody, parseContentEncoding, type Coding } from './content-encoding.js';

const JSON_BODY = Buffer.from(JSON.stringify({ model: 'gpt-4.1-mini', input: 'say hi '.repeat(200) }));
const MiB = 1024 * 1024;
const fastBr = (b: Buffer) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } });
const ENCODE: Record<Coding, (b: Buffer) => Buffer> = { gzip: gzipSync, deflate: deflateSync, br: fastBr, zstd: zstdCompress };
const hasNativeZstd = typeof (zlib as unknown as { zstdCompress?: unknown }).zstdCompress === 'function';

describe('parseContentEncoding', () => {
  it('lists codings in the order applied, case-insensitive, without identity; x-gzip is gzip', () => {
    expect(parseContentEncoding(undefined)).toEqual({ codings: [] });
    expect(parseContentEncoding('identity')).toEqual({ codings: [] });
    expect(parseContentEncoding('GZIP, identity,br')).toEqual({ codings: ['gzip', 'br'] });
    expect(parseContentEncoding(['x-gzip', 'zstd'])).toEqual({ codings: ['gzip', 'zstd'] });
    expect(parseContentEncoding('gzip, compress')).toEqual({ codings: ['gzip'], unknown: 'compress' });
  });
});

describe('decodeRequestBody', () => {
  for (const coding of ['gzip', 'deflate', 'br', 'zstd'] as const) {
    it(`decodes ${coding}`, async () => {
      const result = await decodeRequestBody(ENCODE[coding](JSON_BODY), coding);
      expect(result).toEqual({ body: JSON_BODY, codings: [coding] });
    });
  }

  it('decodes zstd in the frame shape Codex sends (no content size, 2 MiB window), several frames or gzip members in a row', async () => {
    const two = Buffer.concat([zstdStreamFrame(JSON_BODY.subarray(0, 100)), zstdStreamFrame(JSON_BODY.subarray(100))]);
    expect(await decodeRequestBody(two, 'zstd')).toEqual({ body: JSON_BODY, codings: ['zstd'] });
    const members = Buffer.concat([gzipSync(JSON_BODY.subarray(0, 100)), gzipSync(JSON_BODY.subarray(100))]);
    expect(await decodeRequestBody(members, 'gzip')).toEqual({ body: JSON_BODY, codings: ['gzip'] });
  });

  it('undoes stacked codings last first (RFC 9110 §8.4): "gzip, br" is br over gzip', async () => {
    const body = fastBr(gzipSync(JSON_BODY));
    expect(await decodeRequestBody(body, 'gzip, br')).toEqual({ body: JSON_BODY, codings: ['gzip', 'br'] });
    const wrongOrder = await decodeRequestBody(body, 'br, gzip');
    expect(wrongOrder).toMatchObject({ error: { status: 400, code: 'guardrun_body_corrupt' } });
  });

  it('passes identity, an absent header and an empty body through as they are', async () => {
    for (const header of [undefined, 'identity', '']) expect(await decodeRequestBody(JSON_BODY, header)).toEqual({ body: JSON_BODY, codings: [] });
    expect(await decodeRequestBody(Buffer.alloc(0), 'gzip')).toEqual({ body: Buffer.alloc(0), codings: ['gzip'] });
  });

  it('refuses a bomb with 413 before allocating past the limit, in every coding', async () => {
    const zeros = Buffer.alloc(MiB + 1);
    const bombs: Array<[string, Buffer]> = [
      ['gzip', gzipSync(zeros)],
      ['deflate', deflateSync(zeros)],
      ['br', fastBr(zeros)],
      ['zstd', zstdBomb(MiB + 1)],
      ['zstd', zstdCompress(zeros)], // declares its size: refused from the frame header
      ['gzip, gzip', gzipSync(gzipSync(zeros))], // the inner pass is what grows
    ];
    for (const [header, body] of bombs) {
      expect(body.length).toBeLessThan(MiB / 100);
      const result = await decodeRequestBody(body, header, MiB);
      expect(result, header).toMatchObject({ error: { status: 413, code: 'guardrun_body_too_large' } });
      if ('error' in result) expect(result.error.message).toContain('more than 1 MiB');
    }
    // At the limit exactly, it decodes.
    expect(await decodeRequestBody(gzipSync(Buffer.alloc(MiB)), 'gzip', MiB)).toMatchObject({ body: { length: MiB } });
  });

  it('answers 400 naming the coding for data that is not what it says', async () => {
    const cases: Array<[string, Buffer]> = [
      ['gzip', Buffer.from('plain text')],
      ['gzip', gzipSync(JSON_BODY).subarray(0, 30)], // cut short
      ['deflate', deflateRawSync(JSON_BODY)], // raw deflate: not the zlib format "deflate" names
      ['br', Buffer.from('plain text, not brotli')],
      ['zstd', Buffer.from('plain text')],
      ['zstd', zstdCompress(JSON_BODY).subarray(0, 20)],
      ['zstd', Buffer.concat([zstdCompress(JSON_BODY), Buffer.from('trailing')])],
      // zlib stops at the end of a stream and would ignore the rest, which an upstream might still read.
      ['deflate', Buffer.concat([deflateSync(JSON_BODY), deflateSync('{"more":"text"}')])],
      ['br', Buffer.concat([fastBr(JSON_BODY), Buffer.from('trailing')])],
      ['gzip', Buffer.concat([gzipSync(JSON_BODY), Buffer.alloc(4)])],
    ];
    for (const [coding, body] of cases) {
      const result = await decodeRequestBody(body, coding);
      expect(result, coding).toMatchObject({ error: { status: 400, code: 'guardrun_body_corrupt' } });
      if ('error' in result) expect(result.error.message).toContain(`content-encoding ${coding}`);
    }
  });

  it('answers 415 naming a coding it cannot read, and refuses more than four codings', async () => {
    const unknown = await decodeRequestBody(JSON_BODY, 'gzip, compress');
    expect(unknown).toMatchObject({ error: { status: 415, code: 'guardrun_body_encoding_unsupported' } });
    if ('error' in unknown) expect(unknown.error.message).toContain('content-encoding "compress"');
    const odd = await decodeRequestBody(JSON_BODY, 'x-\u0000weird');
    if ('error' in odd) expect(odd.error.message).toContain('"x-?weird"');
    expect(await decodeRequestBody(JSON_BODY, 'gzip, gzip, gzip, gzip, gzip')).toMatchObject({ error: { status: 415 } });
  });
});

describe('encodeRequestBody', () => {
  it('encodes a changed body again with the same codings, in order', async () => {
    for (const codings of [['gzip'], ['deflate'], ['br'], ['gzip', 'br']] as Coding[][]) {
      const { body, contentEncoding } = await encodeRequestBody(JSON_BODY, codings);
      expect(contentEncoding).toBe(codings.join(', '));
      expect(await decodeRequestBody(body, contentEncoding)).toEqual({ body: JSON_BODY, codings });
    }
    expect(gunzipSync((await encodeRequestBody(JSON_BODY, ['gzip'])).body)).toEqual(JSON_BODY);
  });

  it('sends zstd as zstd where Node can compress it, else identity (no Content-Encoding)', async () => {
    const { body, contentEncoding } = await encodeRequestBody(JSON_BODY, ['zstd']);
    expect(canEncode(['zstd'])).toBe(hasNativeZstd);
    if (hasNativeZstd) {
      expect(contentEncoding).toBe('zstd');
      expect(await decodeRequestBody(body, 'zstd')).toEqual({ body: JSON_BODY, codings: ['zstd'] });
    } else {
      expect(contentEncoding).toBeUndefined();
      expect(body).toEqual(JSON_BODY);
      // One coding it cannot redo: the whole body goes as identity, not half-encoded.
      expect(await encodeRequestBody(JSON_BODY, ['gzip', 'zstd'])).toEqual({ body: JSON_BODY, contentEncoding: undefined });
    }
  });
});
