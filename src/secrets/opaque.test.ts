import { describe, expect, it } from 'vitest';
import { createCleanCheck } from './clean-strings.js';
import { compileDetectors } from './detectors.js';
import { withEmbedded } from './embedded.js';
import { maskJson } from './mask.js';
import { isOpaque } from './opaque.js';
import { createScanner } from './scan.js';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2000, 7)]).toString('base64');
const SECRET = 'sk-test-fake-dummy-0000000000000000';
const TEXT = Buffer.from(`config\nkey = ${SECRET}\n`.repeat(60)).toString('base64');

describe('isOpaque (base64 media, not text)', () => {
  it('takes a data: URI of a media type, or a data member holding a media file, with a base64 payload', () => {
    expect(isOpaque(`data:image/png;base64,${PNG}`)).toBe(true);
    expect(isOpaque(`data:audio/wav;base64,${PNG}`, 'url')).toBe(true);
    expect(isOpaque(PNG, 'data')).toBe(true);
  });

  it('leaves text to the scanners: text types, bare base64 of text, other members, bad payloads, short strings', () => {
    expect(isOpaque(`data:text/plain;base64,${TEXT}`)).toBe(false);
    expect(isOpaque(`data:application/json;base64,${TEXT}`)).toBe(false);
    expect(isOpaque(TEXT, 'data')).toBe(false);
    expect(isOpaque(PNG, 'content')).toBe(false);
    expect(isOpaque(PNG)).toBe(false);
    expect(isOpaque(`data:image/png;base64,${PNG.slice(0, 500)} key ${SECRET} ${PNG.slice(500)}`)).toBe(false);
    expect(isOpaque(`data:image/png;base64,${PNG.slice(0, 100)}`)).toBe(false);
  });

  it('is skipped by the clean check and masking, while a text document inside JSON is still scanned and masked', () => {
    const scanner = withEmbedded(createScanner(compileDetectors({ exact: [{ id: 'dummy-key', value: SECRET }] })));
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } };
    const document = { type: 'document', source: { type: 'base64', media_type: 'text/plain', data: TEXT } };
    expect(createCleanCheck(scanner).isClean([image])).toBe(true);
    expect(createCleanCheck(scanner).isClean([image, document])).toBe(false);
    const masked = maskJson([image, document], scanner);
    expect(masked.findings.map((f) => f.detector)).toEqual(['dummy-key']);
    expect(JSON.stringify(masked.value)).toContain(PNG);
    expect(JSON.stringify(masked.value)).not.toContain(TEXT);
  });
});
