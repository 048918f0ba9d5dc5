import { describe, expect, it } from 'vitest';
import { parseEvent } from './sse.js';
import { maskJsonText, maskWholeEvent, withData } from './stream-json.js';
import { testScanner } from './stream-test-capture.js';

const SECRET = 'sk-proj-test-fake-Q7x9Z2w4K8m1N5b3V6c0';
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCfakeTESTfake\n-----END PRIVATE KEY-----';

describe('maskJsonText', () => {
  const scanner = testScanner();

  it('returns the very same string when nothing is found (with or without escapes)', () => {
    for (const text of ['{"a":"plain text"}', '{"a":"line\\nbreak \\"quoted\\""}', 'not json at all', '']) {
      expect(maskJsonText(text, scanner)).toBe(text);
    }
  });

  it('masks the raw text when it has no escapes and stays valid JSON', () => {
    const text = JSON.stringify({ content: `use ${SECRET} now`, n: 1.5 });
    const out = maskJsonText(text, scanner);
    expect(out).toBe(text.replace(SECRET, '[REDACTED:openai-key]'));
    expect(JSON.parse(out)).toEqual({ content: 'use [REDACTED:openai-key] now', n: 1.5 });
  });

  it('finds a secret written with JSON escapes by masking the decoded strings', () => {
    const hidden = JSON.stringify({ content: PEM }); // the newlines are \n escapes in the text
    expect(JSON.parse(maskJsonText(hidden, scanner))).toEqual({ content: '[REDACTED:private-key]' });
    const escaped = `{"content":"${SECRET.replace(/-/g, '\\u002d')}"}`;
    expect(escaped).not.toContain(SECRET);
    expect(JSON.parse(maskJsonText(escaped, scanner))).toEqual({ content: '[REDACTED:openai-key]' });
  });

  it('masks non-JSON text as text', () => {
    expect(maskJsonText(`key=${SECRET}\\n`, scanner)).not.toContain('K8m1');
    expect(maskJsonText(`plain ${SECRET}`, scanner)).toBe('plain [REDACTED:openai-key]');
  });
});

describe('withData / maskWholeEvent', () => {
  it('replaces the data and keeps the other fields', () => {
    const e = parseEvent('event: x\r\nid: 7\r\ndata: {"a":1}\r\n\r\n');
    expect(withData(e, '{"a":2}')).toBe('event: x\r\nid: 7\r\ndata: {"a":2}\r\n\r\n');
    expect(withData(parseEvent('data: 1\ndata: 2\n\n'), 'a\nb')).toBe('data: a\ndata: b\n\n');
  });

  it('passes an event raw when nothing is found and rewrites it when something is', () => {
    const scanner = testScanner();
    const clean = parseEvent('event: response.output_text.done\ndata: {"text":"hi\\nthere"}\n\n');
    expect(maskWholeEvent(clean, scanner)).toBe(clean.raw);
    const dirty = parseEvent(`event: response.output_text.done\ndata: {"text":"${SECRET}"}\n\n`);
    expect(maskWholeEvent(dirty, scanner)).toBe('event: response.output_text.done\ndata: {"text":"[REDACTED:openai-key]"}\n\n');
  });
});
