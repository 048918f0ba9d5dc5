// End-to-end: requests and upstream answers built to slip past the guard. Each must fail closed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { FAKE_OPENAI_KEY, agentResult, guardrun, readLines, tempDir } from './harness.js';

let upstream: Server;
let url = '';
let dir = '';
const seen: string[] = [];

// A misbehaving upstream: what it answers depends on the path the proxy forwarded.
beforeAll(async () => {
  dir = tempDir();
  upstream = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      const echoed = String(req.headers.authorization ?? '').slice('Bearer '.length);
      if (req.url === '/v1/models/header-echo') {
        res.writeHead(200, { 'content-type': 'application/json', 'x-echo-auth': echoed });
        res.end('{"object":"model","id":"x"}');
      } else if (req.url === '/v1/models/gzip') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(`{"error":{"message":"bad key ${echoed}"}}`));
      } else if (req.url === '/v1/models/encoding-echo') {
        // The key as a Content-Encoding value: guardrun refuses the answer, and its refusal must not quote it.
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': echoed });
        res.end('{}');
      } else if (req.url === '/v1/models/header-name') {
        // The key as a header *name*.
        res.writeHead(200, { 'content-type': 'application/json', [`x-${echoed}`]: '1' });
        res.end('{"object":"model","id":"x"}');
      } else if (req.url === '/v1/models/binary') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(echoed), Buffer.from([3])]));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"object":"list","data":[]}');
      }
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

// The child: a few raw requests with the dummy key, results as one JSON line.
const PROBE = `
const base = new URL(process.env.OPENAI_BASE_URL).origin, key = process.env.OPENAI_API_KEY;
const h = { authorization: 'Bearer ' + key, 'content-type': 'application/json' };
const { request } = await import('node:http');
// node:http sends the path as written (fetch would normalise the dot segments away before guardrun saw them).
const get = (path) => new Promise((resolve) => {
  const u = new URL(base);
  const req = request({ host: u.hostname, port: u.port, path, headers: h }, (res) => {
    const chunks = []; res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('latin1') }));
    res.on('error', () => resolve({ status: res.statusCode, broken: true, body: Buffer.concat(chunks).toString('latin1') }));
  });
  req.on('error', (e) => resolve({ status: 0, error: String(e.code ?? e.message) }));
  req.end();
});
const dup = await fetch(base + '/v1/chat/completions', { method: 'POST', headers: h, body: '{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"my key ' + key + '"}],"messages":[{"role":"user","content":"hi"}]}' });
const out = { duplicate: { status: dup.status, body: await dup.json() } };
for (const p of ['/v1/models/../../admin', '/v1/models/%2e%2e/files', '/v1//models', '/v1/models/header-echo', '/v1/models/gzip', '/v1/models/binary', '/v1/models/encoding-echo', '/v1/models/header-name']) out[p] = await get(p);
console.log(JSON.stringify(out));
`;

describe('hostile requests and answers', () => {
  it('refuse duplicate JSON keys and path tricks, mask echoed headers, refuse compressed or key-bearing bodies', async () => {
    const policy = join(dir, 'open.yaml');
    // Open enough that only guardrun's own protections stand in the way.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(policy, 'version: 1\nendpoints:\n  allow: ["* /v1/*"]\nmodels:\n  unknown: allow\n');
    const sessionFile = join(dir, 'hostile.jsonl');
    const r = await guardrun(['--key-env', 'OPENAI_REAL', '--upstream', url, '--policy', policy, '--session-file', sessionFile, '--', 'node', '--input-type=module', '-e', PROBE], {
      env: { OPENAI_REAL: FAKE_OPENAI_KEY },
    });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = agentResult(r.stdout);
    expect(out.duplicate).toMatchObject({ status: 400, body: { error: { code: 'guardrun_duplicate_json_keys' } } });
    for (const trick of ['/v1/models/../../admin', '/v1/models/%2e%2e/files', '/v1//models']) expect(out[trick].status, trick).toBe(404);
    expect(seen.some((s) => s.includes('..') || s.includes('%2e') || s.includes('//') || s.includes('chat'))).toBe(false);
    expect(out['/v1/models/header-echo'].headers['x-echo-auth']).toBe('[REDACTED:openai-real-key]');
    expect(out['/v1/models/gzip'].status).toBe(502);
    expect(out['/v1/models/binary'].body ?? '').not.toContain(FAKE_OPENAI_KEY);
    expect(out['/v1/models/encoding-echo'].status).toBe(502);
    expect(out['/v1/models/encoding-echo'].body).toContain('[REDACTED:openai-real-key]');
    expect(out['/v1/models/header-name'].status).toBe(200);
    expect(Object.keys(out['/v1/models/header-name'].headers).some((name) => name.includes('fake-openai-real-key'))).toBe(false);
    expect(JSON.stringify(out)).not.toContain(FAKE_OPENAI_KEY);
    const everything = String(r.stdout) + String(r.stderr) + readFileSync(sessionFile, 'utf8');
    expect(everything).not.toContain(FAKE_OPENAI_KEY);
    expect(everything, everything.match(/.{80}sk-guardrun-.{20}/)?.[0]).not.toMatch(/sk-guardrun-[A-Za-z0-9_-]{20,}/);
    expect(readLines(sessionFile).some((l) => l.type === 'response' && l.error?.code === 'guardrun_upstream_broke')).toBe(true);
  });
});
