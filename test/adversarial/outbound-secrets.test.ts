// Issue 10, item 5: secrets leave outside JSON bodies. A secret in the query, a path segment, a header, a form
// field, a text body, a JSON body labelled as something else, or a multipart upload (a `.env` file) must be
// refused with `secrets.outbound: deny` (redacted with `redact`, where it can be rewritten), and the upstream
// and the session file must see the same thing: never the secret in clear. Binary parts guardrun cannot read
// follow `secrets.uninspectable`. One case drives the real OpenAI SDK's file upload.
import OpenAI, { toFile } from 'openai';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { FAKE_OPENAI_KEY, OPEN_POLICY, send, startGuarded, type Guarded } from './harness.js';

const SECRET = 'ghp_' + 'Z'.repeat(36); // a GitHub-token-shaped fake
const policy = (outbound: string, uninspectable = 'ask'): string => `${OPEN_POLICY}secrets:\n  outbound: ${outbound}\n  uninspectable: ${uninspectable}\n`;

let upstream: FakeUpstream;
const sessions: Record<string, Guarded> = {};
beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
  for (const mode of ['deny', 'redact', 'allow']) sessions[mode] = await startGuarded({ upstream: upstream.url, policy: policy(mode, mode === 'allow' ? 'allow' : 'ask') });
});
afterAll(async () => {
  for (const g of Object.values(sessions)) {
    const end = await g.stop();
    expect(end.lines.at(-1)).toMatchObject({ type: 'session.end' });
    const file = readFileSync(g.sessionFile, 'utf8');
    // The record is masked whatever the policy lets through. (With allow the upstream echoes the percent-encoded
    // query in a response header; masking encoded forms in answers belongs to the response side.)
    if (g !== sessions.allow) expect(file.includes(SECRET) || /%67%68%70/i.test(file), file.split("\n").filter((l) => l.includes(SECRET) || /%67%68%70/i.test(l)).join("\n").slice(0, 1500)).toBe(false);
  }
  await upstream.close();
});

const multipart = (boundary: string, parts: Array<{ name: string; filename?: string; type?: string; content: string | Buffer }>): Buffer =>
  Buffer.concat([
    ...parts.flatMap((p) => [
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`),
      Buffer.from(p.content),
      Buffer.from('\r\n'),
    ]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);

interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** What `redact` does: the request is sent with the secret replaced, or refused (nothing to rewrite). */
  redact: 'sent' | 'refused';
}

const CASES: Case[] = [
  { name: 'query parameter', method: 'GET', path: `/v1/models?token=${SECRET}`, redact: 'sent' },
  { name: 'percent-encoded query', method: 'GET', path: `/v1/models?t=${[...SECRET].map((c) => '%' + c.charCodeAt(0).toString(16)).join('')}`, redact: 'sent' },
  { name: 'path segment', method: 'GET', path: `/v1/models/${SECRET}`, redact: 'sent' },
  { name: 'request header', method: 'GET', path: '/v1/models', headers: { 'x-debug-token': SECRET }, redact: 'sent' },
  { name: 'form field', path: '/v1/echo', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `a=1&token=${encodeURIComponent(SECRET)}`, redact: 'sent' },
  { name: 'text/plain body', path: '/v1/echo', headers: { 'content-type': 'text/plain' }, body: `export GITHUB_TOKEN=${SECRET}\n`, redact: 'sent' },
  { name: 'JSON labelled application/octet-stream', path: '/v1/chat/completions', headers: { 'content-type': 'application/octet-stream' }, body: JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: SECRET }] }), redact: 'sent' },
  {
    name: 'multipart .env upload',
    path: '/v1/files',
    headers: { 'content-type': 'multipart/form-data; boundary=BX' },
    body: multipart('BX', [{ name: 'purpose', content: 'assistants' }, { name: 'file', filename: '.env', type: 'application/octet-stream', content: `GITHUB_TOKEN=${SECRET}\n` }]),
    redact: 'refused',
  },
  {
    name: 'multipart field',
    path: '/v1/audio/transcriptions',
    headers: { 'content-type': 'multipart/form-data; boundary=BX' },
    body: multipart('BX', [{ name: 'prompt', content: `token ${SECRET}` }, { name: 'model', content: 'whisper-1' }]),
    redact: 'refused',
  },
];

/** Everything the upstream received since `from`, as text (paths, header values, decoded bodies). */
function seenSince(from: number): string {
  return upstream.requests
    .slice(from)
    .map((r) => `${r.path}\n${JSON.stringify(r.headers)}\n${(r.decoded ?? r.body).toString('utf8')}`)
    .join('\n');
}

describe('secrets outside JSON bodies', () => {
  it.each(CASES)('$name: deny refuses it, nothing reaches the upstream', async (c) => {
    const before = upstream.requests.length;
    const a = await send(sessions.deny, { method: c.method, path: c.path, headers: c.headers, body: c.body });
    expect(a.status, a.body).toBe(403);
    expect(JSON.parse(a.body).error.code).toBe('secrets');
    expect(upstream.requests.length).toBe(before);
  });

  it.each(CASES)('$name: redact sends it rewritten (or refuses what cannot be rewritten), never in clear', async (c) => {
    const before = upstream.requests.length;
    const a = await send(sessions.redact, { method: c.method, path: c.path, headers: c.headers, body: c.body });
    const seen = seenSince(before);
    expect(seen.includes(SECRET) || seen.includes(encodeURIComponent(SECRET)) || /%67%68%70/i.test(seen)).toBe(false);
    if (c.redact === 'refused') {
      expect(a.status).toBe(403);
      expect(JSON.parse(a.body).error.message).toContain('cannot redact inside multipart');
    } else {
      expect(upstream.requests.length).toBe(before + 1);
      expect(seen).toContain('REDACTED');
    }
  });

  it.each(CASES)('$name: allow passes it unchanged', async (c) => {
    const before = upstream.requests.length;
    await send(sessions.allow, { method: c.method, path: c.path, headers: c.headers, body: c.body });
    expect(upstream.requests.length).toBe(before + 1);
  });

  it('a binary file part cannot be read: asked about (denied in CI), or passed with uninspectable: allow', async () => {
    const body = multipart('BX', [{ name: 'model', content: 'whisper-1' }, { name: 'file', filename: 'a.mp3', type: 'audio/mpeg', content: Buffer.from([0xff, 0xfb, 0x90, 0x00, 0x01, 0x02]) }]);
    const headers = { 'content-type': 'multipart/form-data; boundary=BX' };
    const before = upstream.requests.length;
    const denied = await send(sessions.redact, { path: '/v1/audio/transcriptions', headers, body });
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body).error.message).toContain('cannot read multipart file "file" (a.mp3, audio/mpeg, 6 bytes)');
    expect(upstream.requests.length).toBe(before);
    await send(sessions.allow, { path: '/v1/audio/transcriptions', headers, body });
    expect(upstream.requests.length).toBe(before + 1);
  });

  it('the record shows the multipart parts by name and size, never their bytes', () => {
    const lines = readFileSync(sessions.redact.sessionFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const upload = lines.find((l) => l.type === 'request' && l.path === '/v1/files');
    expect(upload.body.omitted).toMatch(/^multipart\/form-data: 2 parts: field "purpose" \(10 bytes\); file "file" \(\.env, application\/octet-stream, \d+ bytes\), text$/);
  });

  it('the real OpenAI SDK uploading a .env file is refused under deny', async () => {
    const g = sessions.deny;
    const client = new OpenAI({ baseURL: `${g.origin}/v1`, apiKey: g.key, maxRetries: 0 });
    const before = upstream.requests.length;
    const error = await client.files.create({ file: await toFile(Buffer.from(`GITHUB_TOKEN=${SECRET}\n`), '.env'), purpose: 'assistants' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(403);
    expect(upstream.requests.length).toBe(before);
  });
});
