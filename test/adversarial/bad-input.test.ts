// Bad input to the proxy over raw sockets: bad tokens, malformed and non-UTF-8 JSON, repeated keys,
// `Expect: 100-continue`, slow clients, many connections, path and host tricks. Each must be refused (or
// served) cleanly, never forwarded when refused, and recorded without a secret or a key in it.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { FAKE_OPENAI_KEY, JSON_HEADERS, chat, fuzzRuns, rawExchange, rawSocket, send, startGuarded, type Guarded } from './harness.js';

const SECRET = 'sk-ant-api03-' + 'Q'.repeat(90) + 'AA'; // an Anthropic-key-shaped fake the detectors know
let upstream: FakeUpstream;
let g: Guarded;
beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
  g = await startGuarded({ upstream: upstream.url });
});
afterAll(async () => {
  const end = await g.stop();
  expect(end.lines.at(-1)).toMatchObject({ type: 'session.end' });
  await upstream.close();
});

/** The session file so far holds neither the secret (plain, escaped or base64) nor either key. */
function recordIsClean(): void {
  const file = readFileSync(g.sessionFile, 'utf8');
  for (const needle of [SECRET, SECRET.replace(/-/g, '\\u002d'), FAKE_OPENAI_KEY, g.key, Buffer.from(SECRET).toString('base64').slice(0, 40), Buffer.from(g.key).toString('base64').slice(0, 40)]) {
    expect(file.includes(needle), `session file holds ${needle.slice(0, 12)}…`).toBe(false);
  }
}

describe('bad input', () => {
  it('random tokens in every credential header: 401, never forwarded', async () => {
    const before = upstream.requests.length;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('authorization', 'x-api-key', 'api-key'), fc.string({ maxLength: 120 }).filter((s) => /^[\x21-\x7e ]*$/.test(s)), async (header, token) => {
        const value = header === 'authorization' ? `Bearer ${token}` : token;
        const a = await send(g, { path: '/v1/chat/completions', headers: { ...JSON_HEADERS, [header]: value }, body: chat('hi'), noKey: true });
        expect(a.status).toBe(401);
      }),
      { numRuns: fuzzRuns(30) },
    );
    expect(upstream.requests.length).toBe(before);
  });

  it.each([
    ['malformed JSON', `{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"${SECRET.replace(/-/g, '\\u002d')}"}]`, 'guardrun_malformed_json'],
    ['repeated keys', `{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"${SECRET.replace(/-/g, '\\u002d')}"}],"messages":[]}`, 'guardrun_duplicate_json_keys'],
  ])('%s with a JSON-escaped secret: 400, not forwarded, recorded masked', async (_name, body, code) => {
    const before = upstream.requests.length;
    const a = await send(g, { path: '/v1/chat/completions', headers: JSON_HEADERS, body });
    expect(a.status).toBe(400);
    expect(JSON.parse(a.body).error.code).toBe(code);
    expect(upstream.requests.length).toBe(before);
    recordIsClean();
  });

  it('invalid UTF-8 in a JSON body with a secret and the dummy key: 400, nothing recoverable recorded', async () => {
    const before = upstream.requests.length;
    const body = Buffer.concat([Buffer.from(chat(`${SECRET} and ${g.key} `).slice(0, -3)), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}')]);
    const a = await send(g, { path: '/v1/chat/completions', headers: JSON_HEADERS, body });
    expect(a.status).toBe(400);
    expect(JSON.parse(a.body).error.code).toBe('guardrun_body_not_utf8');
    expect(upstream.requests.length).toBe(before);
    recordIsClean();
  });

  it('random bytes as a JSON body are refused or answered, never crash the proxy', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2_000 }), async (bytes) => {
        const a = await send(g, { path: '/v1/chat/completions', headers: JSON_HEADERS, body: Buffer.from(bytes) });
        expect([200, 400, 403]).toContain(a.status);
      }),
      { numRuns: fuzzRuns(40) },
    );
    expect((await send(g, { method: 'GET', path: '/v1/models' })).status).toBe(200);
  });

  it('Expect: 100-continue is served, and the expectation is not forwarded', async () => {
    const body = chat('hello');
    const raw = `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${g.key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`;
    const s = await rawSocket(g.port);
    let out = '';
    let sentBody = false;
    s.on('data', (c) => {
      out += c.toString();
      if (out.startsWith('HTTP/1.1 100') && !sentBody) {
        sentBody = true;
        s.write(body);
      }
    });
    s.write(raw);
    await new Promise((r) => s.on('close', r));
    expect(out).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200/);
    expect(upstream.requests.at(-1)?.headers.expect).toBeUndefined();
  });

  it('slow clients do not hold up the others', async () => {
    const slow = await Promise.all(Array.from({ length: 20 }, () => rawSocket(g.port)));
    for (const s of slow) s.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${g.key}\r\nContent-Length: 100000\r\n\r\n{"model":`);
    const a = await send(g, { path: '/v1/chat/completions', headers: JSON_HEADERS, body: chat('still here') });
    expect(a.status).toBe(200);
    expect(a.ms).toBeLessThan(5_000);
    for (const s of slow) s.destroy();
  });

  it('many connections at once are all answered', async () => {
    const n = Math.min(fuzzRuns(200), 1000); // connections at once; the long run stays within a loopback's comfort
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => send(g, { path: '/v1/chat/completions', headers: JSON_HEADERS, body: chat(`n ${i}`) })));
    expect(answers.filter((a) => a.status === 200).length).toBe(n);
  });

  it.each([
    ['absolute-form target', 'GET http://evil.example/v1/models HTTP/1.1\r\nHost: evil.example\r\n', 404],
    ['dot segments', 'GET /v1/models/../../admin HTTP/1.1\r\nHost: 127.0.0.1\r\n', 404],
    ['encoded dots', 'GET /v1/models/%2E%2e/files HTTP/1.1\r\nHost: 127.0.0.1\r\n', 404],
    ['backslash', 'GET /v1/models\\..\\files HTTP/1.1\r\nHost: 127.0.0.1\r\n', 404],
    ['empty segment', 'GET /v1//models HTTP/1.1\r\nHost: 127.0.0.1\r\n', 404],
    ['a foreign Host', 'GET /v1/models HTTP/1.1\r\nHost: evil.example\r\n', 200],
    ['a second Host', 'GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n', 200],
    ['CONNECT (the connection is closed, no answer)', 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n', 0],
  ])('%s never reaches another host', async (_name, head, status) => {
    const before = upstream.requests.length;
    const out = await rawExchange(g.port, `${head}Authorization: Bearer ${g.key}\r\nConnection: close\r\n\r\n`);
    expect(out.slice(0, 12)).toBe(status === 0 ? '' : `HTTP/1.1 ${status}`);
    // Served ones went to the one upstream, with its own host; refused ones went nowhere.
    const sent = upstream.requests.slice(before);
    expect(sent.length).toBe(status === 200 ? 1 : 0);
    for (const r of sent) expect(String(r.headers.host)).toBe(new URL(upstream.url).host);
  });
});
