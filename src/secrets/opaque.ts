// Base64 media in a request body (an image, audio, a PDF): binary data, not text. It is hashed where it is
// recorded and its size read from its header, but never scanned for secrets nor tokenized as text: a secret
// inside encoded bytes is not text a detector could find, and scanning megabytes of base64 for it cost most of
// a big request's time (a 20 MB image: ~45 ms of scanning for nothing).
//
// A string is opaque when it is at least OPAQUE_FROM_CHARS long, its payload is base64 throughout, and it is
// - a `data:<type>;base64,` URI of a media type that is not text (OpenAI `image_url.url`, `input_image.image_url`,
//   `file.file_data`, …); a text type (`text/plain`, JSON, YAML…) is text, decoded and scanned (embedded.ts), or
// - the value of a `data` member (Anthropic `source.data`, OpenAI `input_audio.data`) whose bytes begin with the
//   signature of an image, audio or PDF file; other bare base64 may be a text document, and is scanned as one.
// A payload with any other character (plain text mislabelled as base64) is text, and scanned as text.
import { isTextMediaType } from './embedded.js';

export const OPAQUE_FROM_CHARS = 1024;

const DATA_URI = /^data:[\w.+-]{1,127}\/[\w.+-]{1,127}(?:;[\w.+-]{1,64}=[^;,]{0,256})*;base64,/;
const NOT_BASE64 = /[^A-Za-z0-9+/=]/;

/**
 * Where the base64 payload of `s` would start: after its `data:…;base64,` prefix, or 0 for a `data` member; -1 when
 * it is neither or shorter than OPAQUE_FROM_CHARS. The payload itself is not checked.
 */
export function base64PayloadStart(s: string, key?: string): number {
  if (s.length < OPAQUE_FROM_CHARS) return -1;
  if (s.charCodeAt(0) === 100 /* d */ && s.startsWith('data:')) {
    const m = DATA_URI.exec(s.slice(0, 600));
    return m ? m[0].length : -1;
  }
  return key === 'data' ? 0 : -1;
}

// File signatures (their first bytes) of the media a `data` member carries: PNG, JPEG, GIF, WebP/WAV (RIFF), PDF,
// MP3 (ID3 or a frame sync), Ogg, FLAC.
const MEDIA_SIGNATURES: readonly number[][] = [
  [0x89, 0x50, 0x4e, 0x47], [0xff, 0xd8, 0xff], [0x47, 0x49, 0x46, 0x38], [0x52, 0x49, 0x46, 0x46], [0x25, 0x50, 0x44, 0x46],
  [0x49, 0x44, 0x33], [0xff, 0xfb], [0xff, 0xf3], [0xff, 0xf2], [0x4f, 0x67, 0x67, 0x53], [0x66, 0x4c, 0x61, 0x43],
];

/** True when the string's payload is media, not text: a data: URI of a non-text type, or bare base64 of a media file. */
function isMedia(s: string, start: number): boolean {
  if (start > 0) return !isTextMediaType(s.slice(5, s.indexOf(';')));
  const head = Buffer.from(s.slice(0, 16), 'base64');
  return MEDIA_SIGNATURES.some((sig) => sig.every((b, i) => head[i] === b));
}

/** Where the base64 payload of an opaque string starts, or -1 when the string is text (see the top of this file). */
export function opaquePayloadStart(s: string, key?: string): number {
  const start = base64PayloadStart(s, key);
  if (start === -1 || !isMedia(s, start)) return -1;
  // The negated class runs at ~2 GB/s (10 ms for 20 MB); an anchored [A-Za-z0-9+/]* is ten times slower.
  return NOT_BASE64.test(start === 0 ? s : s.slice(start)) ? -1 : start;
}

/** True when `s` (the value of member `key`, if any) is base64 media: see the top of this file. */
export function isOpaque(s: string, key?: string): boolean {
  return opaquePayloadStart(s, key) !== -1;
}
