// End-to-end: the built CLI, a fake upstream on loopback, agents using the real SDKs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { ROOT, AGENTS, FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, agentResult, guardrun, keyArgs, readLines, tempDir } from './harness.js';

let upstream: FakeUpstream;
let dir: string;

beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY, anthropicKey: FAKE_ANTHROPIC_KEY });
  dir = tempDir();
});
afterAll(async () => {
  await upstream?.close();
});

let n = 0;
const sessionPath = (): string => join(dir, `s${++n}.jsonl`);
const run = (args: string[], file = sessionPath(), extra: Parameters<typeof guardrun>[1] = {}) =>
  guardrun([...keyArgs(upstream.url, file), '--', ...args], { ...extra, env: { OPENAI_REAL: FAKE_OPENAI_KEY, ...extra.env } });

function expectNoKeys(...texts: string[]): void {
  for (const text of texts) {
    expect(text).not.toContain(FAKE_OPENAI_KEY);
    expect(text).not.toContain(FAKE_ANTHROPIC_KEY);
    expect(text).not.toMatch(/sk-guardrun-[A-Za-z0-9_-]{20,}/);
  }
}

describe('the child sees only the dummy key; the upstream gets the real one', () => {
  it('runs an openai chat agent plain', async () => {
    const file = sessionPath();
    upstream.requests.length = 0;
    const r = await run(['node', join(AGENTS, 'openai-chat.mjs')], file);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(agentResult(r.stdout).ok).toBe(true);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0].headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
    expect(String(r.stderr)).toMatch(/guardrun: session saved to .*s\d+\.jsonl \(1 request, \$\d+\.\d+ of \$5\.00 budget\)/);
    expectNoKeys(String(r.stdout), String(r.stderr), readFileSync(file, 'utf8'));
  });

  it('gives the child the documented environment and removes real credentials', async () => {
    const r = await run(['node', join(AGENTS, 'print-env.mjs')], sessionPath(), {
      env: { OPENAI_ADMIN_KEY: 'sk-admin-test-fake', AZURE_OPENAI_API_KEY: 'azure-fake', ANTHROPIC_AUTH_TOKEN: 'fake-token', CODEX_ACCESS_TOKEN: 'fake-jwt', OPENAI_CUSTOM_HEADERS: 'x: y', NO_PROXY: 'corp.example', HIDDEN_COPY: FAKE_OPENAI_KEY },
    });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const env = JSON.parse(String(r.stdout).trim().split('\n').pop()!);
    expect(env.OPENAI_API_KEY).toMatch(/^sk-guardrun-[A-Za-z0-9_-]{43,}$/);
    expect(env.CODEX_API_KEY).toBe(env.OPENAI_API_KEY);
    expect(env.OPENAI_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(env.OPENAI_API_BASE).toBe(env.OPENAI_BASE_URL);
    expect(env.OPENAI_AGENTS_DISABLE_TRACING).toBe('1');
    expect(env.GUARDRUN_SESSION).toMatch(/^[0-9a-f]{12}$/);
    // The child's other traffic goes through guardrun's egress proxy, with the session key as proxy password;
    // only loopback stays direct (the user's own NO_PROXY decides where guardrun itself chains, not the child).
    expect(env.NO_PROXY).toBe('127.0.0.1,localhost,::1');
    expect(env.no_proxy).toBe('127.0.0.1,localhost,::1');
    const proxyUrl = `${env.OPENAI_BASE_URL.replace(/\/v1$/, '').replace('http://', `http://guardrun:${env.OPENAI_API_KEY}@`)}`;
    for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy']) expect(env[name], name).toBe(proxyUrl);
    expect(env.NODE_USE_ENV_PROXY).toBe('1');
    expect(env.NODE_EXTRA_CA_CERTS).toMatch(/guardrun-ca-[^/]+\/guardrun-ca\.pem$/);
    expect(env.CODEX_CA_CERTIFICATE).toBe(env.NODE_EXTRA_CA_CERTS);
    for (const name of ['SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE']) expect(env[name], name).toMatch(/guardrun-ca-[^/]+\/ca-bundle\.pem$/);
    for (const gone of ['OPENAI_ADMIN_KEY', 'AZURE_OPENAI_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'OPENAI_CUSTOM_HEADERS', 'OPENAI_REAL', 'ANTHROPIC_API_KEY', 'CODEX_ACCESS_TOKEN']) {
      expect(env[gone], gone).toBeUndefined();
    }
    // Without an Anthropic key, Anthropic calls still point at guardrun (which refuses them, naming the fix), and no dummy key is given.
    expect(env.ANTHROPIC_BASE_URL).toBe(env.OPENAI_BASE_URL.replace(/\/v1$/, '/anthropic'));
    expect(String(r.stdout)).not.toContain(FAKE_OPENAI_KEY); // HIDDEN_COPY held the real key: removed by value
  });

  it('streams chat events one by one as the upstream sends them', async () => {
    const file = sessionPath();
    const r = await run(['node', join(AGENTS, 'openai-chat.mjs'), '--stream', 'Say hello.'], file, { env: { OPENAI_REAL: FAKE_OPENAI_KEY } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const result = agentResult(r.stdout);
    expect(result.ok).toBe(true);
    expect(result.chunks).toBeGreaterThan(3);
    const lines = readLines(file);
    const response = lines.find((l) => l.type === 'response')!;
    expect(response.events.length).toBeGreaterThan(3);
    expect(response.usage.outputTokens).toBeGreaterThan(0);
  });

  it('does not hold small writes back (Nagle): the first event of a stream arrives at once, not after a delayed ACK (~40 ms)', async () => {
    // Five streamed requests in a row; each time from the request to the answer's first body chunk.
    const agent = `const t = []; for (let i = 0; i < 5; i++) { const s = performance.now();
      const r = await fetch(process.env.OPENAI_BASE_URL + '/chat/completions', { method: 'POST', headers: { authorization: 'Bearer ' + process.env.OPENAI_API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Stream a hello.' }] }) });
      const reader = r.body.getReader(); await reader.read(); t.push(performance.now() - s); while (!(await reader.read()).done); }
      console.log(JSON.stringify(t));`;
    const r = await guardrun([...keyArgs(upstream.url, sessionPath()), '--', 'node', '--input-type=module', '-e', agent], { env: { OPENAI_REAL: FAKE_OPENAI_KEY } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const firstChunkMs = (JSON.parse(String(r.stdout).trim().split('\n').at(-1)!) as number[]).sort((a, b) => a - b);
    // The median: a busy machine delays some answers, a held write delays every one.
    expect(firstChunkMs[2]).toBeLessThan(30);
  });

  it('delivers stream events as they are sent, not buffered (measured at the client)', async () => {
    const gapMs = 60;
    const slow = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY, gapMs });
    try {
      const r = await guardrun([...keyArgs(slow.url, sessionPath()), '--', 'node', join(AGENTS, 'openai-chat.mjs'), '--stream'], { env: { OPENAI_REAL: FAKE_OPENAI_KEY } });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      const arrivals: number[] = agentResult(r.stdout).arrivals;
      expect(arrivals.length).toBeGreaterThan(4);
      // Buffered whole, every chunk would arrive at once; passed through, they keep the upstream's spacing.
      const spread = arrivals[arrivals.length - 1] - arrivals[0];
      expect(spread).toBeGreaterThan(gapMs * (arrivals.length - 2) * 0.5);
      const distinct = new Set(arrivals.map((t) => Math.round(t / (gapMs / 2))));
      expect(distinct.size).toBeGreaterThan(arrivals.length / 2);
    } finally {
      await slow.close();
    }
  });

  for (const [agent, args] of [
    ['openai-responses.mjs', []], ['openai-responses.mjs', ['--stream']], ['openai-embeddings.mjs', []], ['openai-models.mjs', []],
    ['agents-sdk.mjs', []], ['agents-sdk.mjs', ['--stream']], ['ai-sdk.mjs', []], ['ai-sdk.mjs', ['--stream']],
  ] as const) {
    it(`runs ${agent} ${args.join(' ')}`, async () => {
      const file = sessionPath();
      const r = await run(['node', join(AGENTS, agent), ...args], file);
      expect(r.exitCode, String(r.stderr) + String(r.stdout)).toBe(0);
      expect(agentResult(r.stdout).ok).toBe(true);
      expectNoKeys(String(r.stdout), String(r.stderr), readFileSync(file, 'utf8'));
    });
  }

  it('runs curl', async () => {
    const r = await run(['sh', join(AGENTS, 'curl.sh')]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(JSON.parse(String(r.stdout)).choices[0].message.content).toContain('Hello');
  });

  it('runs the anthropic SDK plain and streamed', async () => {
    for (const args of [[], ['--stream']]) {
      upstream.requests.length = 0;
      const file = sessionPath();
      const r = await guardrun(['--key-env', 'anthropic=ANTH', '--key-env', 'OPENAI_REAL', '--upstream', upstream.url, '--anthropic-upstream', upstream.url, '--session-file', file, '--', 'node', join(AGENTS, 'anthropic.mjs'), ...args], {
        env: { ANTH: FAKE_ANTHROPIC_KEY, OPENAI_REAL: FAKE_OPENAI_KEY },
      });
      expect(r.exitCode, String(r.stderr) + String(r.stdout)).toBe(0);
      const sent = upstream.requests[0].headers;
      expect(sent['x-api-key'] ?? sent.authorization).toMatch(FAKE_ANTHROPIC_KEY); // the SDK's own header, real key in it
      expect(upstream.requests[0].path).toBe('/v1/messages');
      const response = readLines(file).find((l) => l.type === 'response')!;
      expect(response.usage.inputTokens).toBeGreaterThan(0);
      expectNoKeys(String(r.stdout), String(r.stderr), readFileSync(file, 'utf8'));
    }
  });

  it('masks the real key if the upstream sends it back', async () => {
    const file = sessionPath();
    const r = await run(['node', join(AGENTS, 'openai-chat.mjs'), 'please [[reveal-key]]'], file);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(agentResult(r.stdout).text).toContain('[REDACTED:openai-real-key]');
    expectNoKeys(String(r.stdout), readFileSync(file, 'utf8'));
  });
});

describe('the proxy answers guardrun\'s own conditions in the provider error shape', () => {
  it('refuses a wrong or missing key with 401, an unknown path with 404, and reaches no other host', async () => {
    const r = await run(['node', join(AGENTS, 'proxy-probe.mjs')]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const probe = agentResult(r.stdout);
    expect(probe.wrongKey.status).toBe(401);
    expect(probe.wrongKey.retry).toBe('false');
    expect(probe.wrongKey.body.error.code).toBe('guardrun_invalid_key');
    expect(probe.noKey.status).toBe(401);
    expect(probe.unknownPath.status).toBe(404);
    expect(probe.unknownPath.body.error.code).toBe('guardrun_unknown_path');
    // An absolute-form target is a proxy request: without the session token as proxy credentials, 407.
    expect(probe.absoluteUrl.status).toBe(407);
    expect(probe.anthropicNoKey.status).toBe(401);
    expect(probe.anthropicNoKey.body.type).toBe('error');
    expect(probe.anthropicNoKey.body.error.message).toContain('guardrun key set anthropic');
    // Whatever credential comes (a stored login), the answer names the missing key and its fix.
    expect(probe.anthropicStoredLogin.status).toBe(401);
    expect(probe.anthropicStoredLogin.body.error.code).toBe('guardrun_no_key');
    expect(probe.anthropicStoredLogin.body.error.message).toContain('guardrun key set anthropic');
  });

  it('passes bodies byte-exact, queries and response headers unchanged', async () => {
    upstream.requests.length = 0;
    const loose = join(ROOT, 'fixtures', 'policies', 'loose.yaml'); // the default policy allows no /v1/files
    const r = await guardrun([...keyArgs(upstream.url, sessionPath()), '--policy', loose, '--', 'node', join(AGENTS, 'proxy-probe.mjs'), '--bytes'], { env: { OPENAI_REAL: FAKE_OPENAI_KEY } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const probe = agentResult(r.stdout);
    for (const sent of probe.sent) {
      expect(sent.echo.sha256, sent.name).toBe(sent.sha256);
      expect(sent.echo.length, sent.name).toBe(sent.length);
    }
    expect(probe.query).toBe('/v1/echo?limit=3&order=desc');
    expect(probe.headers['x-request-id']).toMatch(/^req_/);
    expect(probe.headers['x-ratelimit-limit-requests']).toBeDefined();
  });

  it('aborts the upstream request when the agent disconnects', async () => {
    const file = sessionPath();
    const r = await run(['node', join(AGENTS, 'proxy-probe.mjs'), '--abort'], file);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(agentResult(r.stdout).outcome).toBe('AbortError');
    const response = readLines(file).find((l) => l.type === 'response')!;
    expect(response).toMatchObject({ status: 499, source: 'guardrun', error: { code: 'guardrun_client_closed' } });
  });

  it('records a stream the agent abandons midway, up to where it stopped', async () => {
    const file = sessionPath();
    const r = await run(['node', join(AGENTS, 'proxy-probe.mjs'), '--abort-stream'], file);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(agentResult(r.stdout)).toMatchObject({ status: 200, chunks: 2 });
    const response = readLines(file).find((l) => l.type === 'response')!;
    // The agent received 200 and some events before it left: both are on record, with the reason it ended.
    expect(response).toMatchObject({ status: 200, error: { code: 'guardrun_client_closed' } });
    expect(response.events.length).toBeGreaterThanOrEqual(2);
    expect(response.ttfbMs).toBeGreaterThan(0);
  });

  it('answers 502 naming the upstream when it is unreachable', async () => {
    const r = await guardrun(['--key-env', 'OPENAI_REAL', '--upstream', 'http://127.0.0.1:9', '--session-file', sessionPath(), '--', 'node', join(AGENTS, 'openai-chat.mjs'), '--no-retry'], { env: { OPENAI_REAL: FAKE_OPENAI_KEY } });
    expect(r.exitCode).toBe(1);
    const result = agentResult(r.stdout);
    expect(result.status).toBe(502);
    expect(result.error).toContain('http://127.0.0.1:9');
    expectNoKeys(String(r.stdout), String(r.stderr));
  });

  it('keeps a path prefix of the upstream URL', async () => {
    upstream.requests.length = 0;
    const r = await guardrun(['--key-env', 'OPENAI_REAL', '--upstream', `${upstream.url}/openai`, '--session-file', sessionPath(), '--', 'node', join(AGENTS, 'openai-chat.mjs')], { env: { OPENAI_REAL: FAKE_OPENAI_KEY } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(upstream.requests[0].path).toBe('/openai/v1/chat/completions');
  });

  it('refuses a plain-http upstream that is not loopback', async () => {
    const r = await guardrun(['--key-env', 'OPENAI_REAL', '--upstream', 'http://api.example.com', '--', 'true'], { env: { OPENAI_REAL: FAKE_OPENAI_KEY } });
    expect(r.exitCode).toBe(78);
    expect(String(r.stderr)).toContain('[E_CONFIG]');
    expect(String(r.stderr)).toContain('fix:');
  });
});

describe('the session file', () => {
  it('is 0600 in a 0700 directory with a .gitignore, and records the documented events', async () => {
    const cwd = tempDir();
    const r = await guardrun(['--key-env', 'OPENAI_REAL', '--upstream', upstream.url, '--', 'node', join(AGENTS, 'openai-chat.mjs')], { env: { OPENAI_REAL: FAKE_OPENAI_KEY }, cwd });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const sessions = join(cwd, '.guardrun', 'sessions');
    const [name] = readdirSync(sessions);
    expect(name).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-[0-9a-f]{12}\.jsonl$/);
    expect(statSync(join(sessions, name)).mode & 0o777).toBe(0o600);
    expect(statSync(join(cwd, '.guardrun')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(cwd, '.guardrun', '.gitignore'), 'utf8')).toBe('*\n');
    const lines = readLines(join(sessions, name));
    expect(lines.map((l) => l.type)).toEqual(['session.start', 'request', 'decision', 'response', 'child.exit', 'session.end']);
    const [start, request, decision, response, , end] = lines;
    expect(decision).toMatchObject({ id: 1, phase: 'request', verdict: 'allow', decidedBy: 'policy' });
    // Far below every cost limit: the tokenizer-free upper bound was enough to decide.
    expect(decision.estimateIsBound).toBe(true);
    expect(decision.estimateUsd).toBeGreaterThan(0);
    expect(start).toMatchObject({ format: 'guardrun-session', version: 2, providers: ['openai'], upstreams: { openai: upstream.url } });
    expect(request).toMatchObject({ method: 'POST', path: '/v1/chat/completions', model: expect.any(String), stream: false });
    expect(request.headers.authorization).toBeUndefined();
    expect(request.body.json.messages).toBeDefined();
    expect(response).toMatchObject({ status: 200, source: 'upstream' });
    expect(response.usage.inputTokens).toBeGreaterThan(0);
    expect(response.headers['x-request-id']).toMatch(/^req_/);
    expect(end).toMatchObject({ type: 'session.end', exitCode: 0, requests: 1 });
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('survives kill -9 of guardrun: every completed exchange stays readable', async () => {
    const file = sessionPath();
    const child = guardrun([...keyArgs(upstream.url, file), '--', 'node', join(AGENTS, 'proxy-probe.mjs'), '--chat-then-wait'], { env: { OPENAI_REAL: FAKE_OPENAI_KEY } });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(existsSync(file) && readFileSync(file, 'utf8').includes('"type":"response"'))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await child;
    const lines = readLines(file); // throws if any line is torn
    expect(lines.map((l) => l.type)).toEqual(['session.start', 'request', 'decision', 'response']);
  });
});
