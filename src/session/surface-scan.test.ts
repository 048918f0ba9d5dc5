// Secrets outside a JSON body: in the URL (decoded), in headers, in form and multipart parts.
import { describe, expect, it } from 'vitest';
import type { Exchange } from '../proxy/types.js';
import { createScanner } from '../secrets/scan.js';
import { scanFormBody, scanSurface } from './surface-scan.js';

const scanner = createScanner();
const KEY = 'sk-ant-api03-' + 'A'.repeat(90) + 'AA';
const exchange = (over: Partial<Exchange>): Exchange => ({
  id: 1, provider: 'openai', method: 'POST', path: '/v1/chat/completions', apiPath: '/v1/chat/completions', endpoint: 'POST /v1/chat/completions',
  model: undefined, stream: false, contentType: '', body: Buffer.alloc(0), json: undefined, text: undefined, startedMs: 0, guardMs: 0, ...over,
});

describe('scanSurface', () => {
  it('finds a secret in the query, decoded, and rewrites only that parameter', () => {
    const encoded = encodeURIComponent(KEY).replace(/-/g, '%2D');
    const s = scanSurface(exchange({ path: `/v1/models?limit=2&key=${encoded}` }), scanner);
    expect(s.findings).toEqual([{ detector: 'anthropic-key', where: 'query' }]);
    expect(s.maskedPath).toBe(`/v1/models?limit=2&key=${encodeURIComponent('[REDACTED:anthropic-key]')}`);
  });

  it('one bad escape does not hide a secret in another parameter', () => {
    const encoded = [...KEY].map((c) => '%' + c.charCodeAt(0).toString(16)).join('');
    const s = scanSurface(exchange({ path: `/v1/models?a=%zz&k=${encoded}` }), scanner);
    expect(s.findings).toEqual([{ detector: 'anthropic-key', where: 'query' }]);
  });

  it('finds a secret in a path segment and in a header value', () => {
    const s = scanSurface(exchange({ path: `/v1/files/${KEY}/content`, headers: { 'x-debug': `token ${KEY}`, 'user-agent': 'ok' } }), scanner);
    expect(s.findings.map((f) => f.where)).toEqual(['path', 'header x-debug']);
    expect(s.maskedPath).toBe(`/v1/files/${encodeURIComponent('[REDACTED:anthropic-key]')}/content`);
    expect(s.maskedHeaders).toEqual({ 'x-debug': 'token [REDACTED:anthropic-key]' });
  });

  it('leaves a clean request alone', () => {
    const s = scanSurface(exchange({ path: '/v1/models?x=%zz', headers: { 'x-a': 'b' } }), scanner);
    expect(s).toEqual({ findings: [], unredactable: [] });
  });

  it('form fields are rewritten; multipart parts cannot be', () => {
    const form = exchange({ bodyKind: 'form', text: `a=1&k=${encodeURIComponent(KEY)}`, parts: [{ where: 'form field "a"', name: 'a', text: 'a=1' }, { where: 'form field "k"', name: 'k', text: `k=${KEY}` }] });
    const s = scanSurface(form, scanner);
    expect(s.findings).toEqual([{ detector: 'anthropic-key', where: 'form field "k"' }]);
    expect(new URLSearchParams(s.maskedForm).get('k')).toBe('[REDACTED:anthropic-key]');
    expect(scanFormBody(form, scanner).masked).toBe(s.maskedForm);
    const multi = scanSurface(exchange({ bodyKind: 'multipart', parts: [{ where: 'multipart file "file" (.env)', name: 'file', text: `KEY=${KEY}` }] }), scanner);
    expect(multi.unredactable).toEqual(['multipart file "file" (.env)']);
    expect(multi.maskedForm).toBeUndefined();
  });
});
