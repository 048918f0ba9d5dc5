import { describe, expect, it } from 'vitest';
import { RawJson, stringifyWithRaw } from './raw-json.js';

describe('stringifyWithRaw', () => {
  it('embeds RawJson text verbatim where the value stood', () => {
    const text = '{"b":[1,2,{"c":"d"}],"a":"x"}'; // key order kept: no parse and re-serialise
    const out = stringifyWithRaw({ type: 'request', body: { json: new RawJson(text) }, n: 1 }, 'n0nce');
    expect(out).toBe(`{"type":"request","body":{"json":${text}},"n":1}`);
    expect(JSON.parse(out).body.json).toEqual({ b: [1, 2, { c: 'd' }], a: 'x' });
  });

  it('folds newlines (JSON whitespace) so the result stays one line', () => {
    const out = stringifyWithRaw({ body: { json: new RawJson('{\n  "a": "line\\nbreak"\r\n}') } }, 'n');
    expect(out).not.toMatch(/[\r\n]/);
    expect(JSON.parse(out).body.json).toEqual({ a: 'line\nbreak' });
  });

  it('handles several raw values and leaves the input object untouched', () => {
    const event = { request: { json: new RawJson('[1]') }, response: { json: new RawJson('{"ok":true}') } };
    const out = stringifyWithRaw(event, 'z');
    expect(JSON.parse(out)).toEqual({ request: { json: [1] }, response: { json: { ok: true } } });
    expect(event.request.json).toBeInstanceOf(RawJson);
  });

  it('is plain JSON.stringify when there is nothing raw, even for text that looks like a placeholder', () => {
    const value = { s: '\u0000z0\u0000', list: [1, 2] };
    expect(stringifyWithRaw(value, 'z')).toBe(JSON.stringify(value));
  });
});
