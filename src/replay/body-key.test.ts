import { describe, expect, it } from 'vitest';
import { BUILTIN_DETECTORS } from '../secrets/detectors.js';
import { createScanner } from '../secrets/scan.js';
import { bodyKey, canonicalJson, firstDifference, liveRecordedBody } from './body-key.js';

const scanner = createScanner(BUILTIN_DETECTORS);
const mask = (t: string): string => scanner.mask(t).text;

describe('body keys', () => {
  it('canonical JSON ignores key order but not values or array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: null } })).toBe('{"a":{"c":null,"d":[1,2]},"b":1}');
    expect(bodyKey({ json: { a: 1, b: 2 } })).toBe(bodyKey({ json: { b: 2, a: 1 } }));
    expect(bodyKey({ json: { a: [1, 2] } })).not.toBe(bodyKey({ json: { a: [2, 1] } }));
    expect(bodyKey({ json: 'x' })).not.toBe(bodyKey({ text: 'x' }));
    expect(bodyKey(undefined)).toBe(bodyKey(undefined));
  });

  it('a live body gets the key of its recording: masked the same way, whatever its spacing', () => {
    const secret = 'sk-test-fake-live-000000000000000000000000';
    const recorded = { json: { model: 'm', messages: [{ role: 'user', content: 'key [REDACTED:openai-key] here' }] } };
    const live = Buffer.from(`{ "messages": [ { "content": "key ${secret} here", "role": "user" } ],\n "model": "m" }`);
    const asRecorded = liveRecordedBody(live, 'application/json', mask);
    expect(asRecorded).toEqual({ json: { messages: [{ content: 'key [REDACTED:openai-key] here', role: 'user' }], model: 'm' } });
    expect(bodyKey(asRecorded)).toBe(bodyKey(recorded));
    expect(JSON.stringify(asRecorded)).not.toContain(secret);
  });

  it('text, binary and empty bodies', () => {
    expect(liveRecordedBody(Buffer.from('a=1'), 'application/x-www-form-urlencoded', mask)).toEqual({ text: 'a=1' });
    expect(liveRecordedBody(Buffer.from('{not json'), 'application/json', mask)).toEqual({ text: '{not json' });
    expect(liveRecordedBody(Buffer.from([0xff, 0xfe, 0x00]), 'application/octet-stream', mask)).toEqual({ omitted: 'binary body, not inspected', bytes: 3 }); // never the bytes nobody inspected
    expect(liveRecordedBody(Buffer.alloc(0), 'application/json', mask)).toBeUndefined();
    expect(liveRecordedBody(undefined, '', mask)).toBeUndefined();
  });

  it('firstDifference names the first differing JSON pointer, with both sides', () => {
    const a = { model: 'm', messages: [{ role: 'user', content: 'Say hello.' }] };
    const b = { model: 'm', messages: [{ role: 'user', content: 'Say goodbye.' }] };
    expect(firstDifference(a, b)).toEqual({ path: '/messages/0/content', recorded: '"Say hello."', now: '"Say goodbye."' });
    expect(firstDifference(a, { ...a, stream: true })).toEqual({ path: '/stream', recorded: '(absent)', now: 'true' });
    expect(firstDifference({ 'a/b': 1 }, { 'a/b': 2 })?.path).toBe('/a~1b');
    expect(firstDifference(a, { messages: a.messages, model: 'm' })).toBeUndefined();
    expect(firstDifference('x'.repeat(200), 'y')?.recorded).toMatch(/^"x+\.\.\.$/);
  });
});
