// End-to-end: the egress proxy. Agents that ignore the base URL and call https://api.openai.com themselves
// (curl, and Node's fetch with NODE_USE_ENV_PROXY) are intercepted into the guard; other hosts are tunnelled,
// logged and held to the policy's `network` lists; nothing else can use the proxy. "api.openai.com" never
// leaves this machine: the child's CONNECT names it, guardrun answers it and forwards to the fake upstream.
import { execa } from 'execa';
import { createServer, request } from 'node:http';
import { connect as connectTcp, type AddressInfo } from 'node:net';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { AGENTS, BIN, FAKE_OPENAI_KEY, agentResult, baseEnv, guardrun, keyArgs, readLines, startLoopbackSite, tempDir, type LoopbackSite } from './harness.js';
import { envProxyNode } from './env-proxy-node.js';

let upstream: FakeUpstream;
let site: LoopbackSite;
let sitePort: number;
const siteHits: string[] = [];
let dir: string;
let n = 0;
const sessionPath = (): string => join(dir, `e${++n}.jsonl`);

beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
  dir = tempDir('guardrun-egress-');
  site = await startLoopbackSite((req, res) => {
    siteHits.push(`${req.method} ${req.url} ${req.headers['proxy-authorization'] ? 'with-proxy-auth' : ''}`.trim());
    res.end('hello from the loopback site\n');
  });
  sitePort = site.port;
});
afterAll(async () => {
  await upstream?.close();
  await site?.close();
});

function policy(text: string): string {
  const file = join(dir, `policy-${++n}.yaml`);
  writeFileSync(file, `version: 1\n${text}`);
  return file;
}

const run = (args: string[], opts: { file?: string; flags?: string[]; env?: Record<string, string | undefined>; timeout?: number } = {}) =>
  guardrun([...keyArgs(upstream.url, opts.file ?? sessionPath()), ...(opts.flags ?? []), '--', ...args], { env: { OPENAI_REAL: FAKE_OPENAI_KEY, ...opts.env }, timeout: opts.timeout ?? 60_000 });

const CHAT = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }] });
/** curl as an agent that hard-codes the provider's URL; it honours HTTPS_PROXY (and the CA bundle guardrun gives it). */
const curlOpenAI = (extra = '', body = CHAT) => ['sh', '-c', `curl -sS https://api.openai.com/v1/chat/completions -H "Authorization: Bearer \${KEY:-$OPENAI_API_KEY}" -H 'content-type: application/json' -d '${body}' ${extra}`];

function events(file: string, type: string): Array<Record<string, any>> {
  return readLines(file).filter((l) => l.type === type);
}

describe("TLS to guardrun's own port (a client that turns the base URL into https)", () => {
  const https = (command: string) => ['sh', '-c', `export OPENAI_BASE_URL="https\${OPENAI_BASE_URL#http}"; ${command}`];

  it('the openai SDK on an https:// base URL is served through the guard with a loopback certificate from the session CA', async () => {
    const file = sessionPath();
    upstream.requests.length = 0;
    const r = await run(https(`exec node ${join(AGENTS, 'openai-chat.mjs')} 'Say hello.'`), { file });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(agentResult(r.stdout)).toMatchObject({ ok: true });
    expect(upstream.requests).toHaveLength(1);
    expect(events(file, 'request')[0]).toMatchObject({ endpoint: 'POST /v1/chat/completions', model: 'gpt-4o-mini' });
    expect(events(file, 'decision')[0]).toMatchObject({ verdict: 'allow' });
    expect(readFileSync(file, 'utf8')).not.toContain(FAKE_OPENAI_KEY);
  });

  it('a client that does not trust the session CA breaks off: refused and written down as a bypass, nothing sent', async () => {
    const file = sessionPath();
    upstream.requests.length = 0;
    // The system roots only; curl (OpenSSL) refuses during the handshake, so guardrun sees it (Node's client checks after).
    const r = await run(https(`curl -sS --cacert /etc/ssl/certs/ca-certificates.crt "$OPENAI_BASE_URL/chat/completions" -H "Authorization: Bearer $OPENAI_API_KEY" -d '${CHAT}'; echo rc=$?`), { file });
    expect(String(r.stdout)).toMatch(/rc=60/);
    expect(upstream.requests).toHaveLength(0);
    expect(events(file, 'request')).toHaveLength(0);
    expect(events(file, 'bypass')[0]).toMatchObject({ host: '127.0.0.1', reason: 'untrusted-ca' });
  });
});

describe('a child that ignores the base URL is intercepted into the guard', () => {
  it('curl to https://api.openai.com: the upstream gets the real key, the session records the call with its host', async () => {
    const file = sessionPath();
    upstream.requests.length = 0;
    const r = await run(curlOpenAI(), { file });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(JSON.parse(String(r.stdout)).choices[0].message.content).toMatch(/fake upstream/);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0].headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
    const [request] = events(file, 'request');
    expect(request).toMatchObject({ method: 'POST', path: '/v1/chat/completions', endpoint: 'POST /v1/chat/completions', host: 'api.openai.com', model: 'gpt-4o-mini' });
    expect(events(file, 'response')[0]).toMatchObject({ status: 200, source: 'upstream' });
    expect(events(file, 'bypass')).toHaveLength(0);
    expect(readLines(file)[0].egress).toEqual({ intercept: true });
    expect(readFileSync(file, 'utf8')).not.toContain(FAKE_OPENAI_KEY);
  });

  it('Node fetch with NODE_USE_ENV_PROXY (Node >= 24.5) is intercepted the same way', async () => {
    const node = envProxyNode();
    if ('missing' in node) throw new Error(`this test needs a Node that reads HTTPS_PROXY for fetch: ${node.missing}`);
    const file = sessionPath();
    upstream.requests.length = 0;
    const r = await run([node.path, join(AGENTS, 'hardcoded-openai.mjs')], { file });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(agentResult(r.stdout)).toMatchObject({ status: 200, content: expect.stringMatching(/fake upstream/) });
    expect(upstream.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${FAKE_OPENAI_KEY}`]);
    expect(events(file, 'request')[0]).toMatchObject({ host: 'api.openai.com', endpoint: 'POST /v1/chat/completions' });
  }, 300_000);

  it('a WebSocket to wss://api.openai.com/v1/responses (as Codex opens it) goes through the same guard', async () => {
    const file = sessionPath();
    upstream.requests.length = 0;
    const r = await run(['node', join(AGENTS, 'ws-direct.mjs'), 'Say hello.'], { file });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const result = agentResult(r.stdout);
    expect(result, String(r.stderr)).toMatchObject({ upgraded: true });
    expect(result.events).toContain('response.completed');
    expect(result.text.length).toBeGreaterThan(0);
    const lines = readLines(file);
    expect(lines.find((l) => l.type === 'ws.upgrade')).toMatchObject({ status: 101, host: 'api.openai.com', endpoint: 'WS /v1/responses' });
    expect(lines.find((l) => l.type === 'request')).toMatchObject({ method: 'WS', endpoint: 'WS /v1/responses', transport: 'websocket' });
    expect(readFileSync(file, 'utf8')).not.toContain(FAKE_OPENAI_KEY);
  });

  it('a plain-HTTP call to the model host through HTTP_PROXY is guarded too', async () => {
    const file = sessionPath();
    upstream.requests.length = 0;
    const r = await run(['sh', '-c', `curl -sS http://api.openai.com/v1/chat/completions -H "Authorization: Bearer $OPENAI_API_KEY" -H 'content-type: application/json' -d '${CHAT}'`], { file });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(JSON.parse(String(r.stdout)).choices[0].message.content).toMatch(/fake upstream/);
    expect(upstream.requests[0].headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
    expect(events(file, 'request')[0].host).toBe('api.openai.com');
  });

  it('the policy applies: a deny rule refuses an intercepted call before it reaches the provider', async () => {
    const file = sessionPath();
    upstream.requests.length = 0;
    const rules = policy('rules:\n  - { id: no-launch-codes, on: request, match: { text: "(?i)launch codes" }, action: deny }\n');
    const r = await run(curlOpenAI('', JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'print the launch codes' }] })), { file, flags: ['--policy', rules] });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const body = JSON.parse(String(r.stdout));
    expect(body.error.code).toBe('rule:no-launch-codes');
    expect(upstream.requests).toHaveLength(0);
    expect(events(file, 'decision')[0]).toMatchObject({ verdict: 'deny', rules: ['rule:no-launch-codes'] });
    expect(events(file, 'request')[0].host).toBe('api.openai.com');
  });

  it('a call with credentials of its own (a stored login) is answered 401 saying why, and recorded as a bypass', async () => {
    const file = sessionPath();
    upstream.requests.length = 0;
    // --pass-env: a key-shaped value is otherwise withheld from the child's environment.
    const r = await run(curlOpenAI(), { file, env: { KEY: 'sk-test-fake-someone-elses-key-0000000000' }, flags: ['--pass-env', 'KEY'] });
    const body = JSON.parse(String(r.stdout));
    expect(body.error.code).toBe('guardrun_invalid_key');
    expect(body.error.message).toMatch(/intercepted this request to api\.openai\.com.*does not carry the session key.*stored login/);
    expect(upstream.requests).toHaveLength(0);
    expect(events(file, 'bypass')[0]).toMatchObject({ host: 'api.openai.com', port: 443, reason: 'foreign-key', status: 401, path: 'POST /v1/chat/completions' });
    expect(String(r.stderr)).toMatch(/refused 1 attempt to reach a model host around the guard/);
  });

  it('a client that does not trust the session CA fails its handshake: the call does not happen, and the record says why', async () => {
    const file = sessionPath();
    upstream.requests.length = 0;
    // The system roots only, as a program with its own trust store would have.
    const r = await run(['sh', '-c', `${curlOpenAI('--cacert /etc/ssl/certs/ca-certificates.crt')[2]}; echo rc=$?`], { file });
    expect(String(r.stdout)).toMatch(/rc=60/); // curl: peer certificate cannot be authenticated
    expect(upstream.requests).toHaveLength(0);
    expect(events(file, 'bypass')).toEqual([expect.objectContaining({ host: 'api.openai.com', reason: 'untrusted-ca', status: 200 })]);
    expect(String(r.stderr)).toMatch(/does not trust guardrun's session CA/);
  });

  it('--no-intercept: the CONNECT is refused with a clear 403 and a bypass line, never tunnelled', async () => {
    const file = sessionPath();
    upstream.requests.length = 0;
    const r = await run(['sh', '-c', `${curlOpenAI()[2]} -v 2>&1 | grep -E '^< HTTP|^curl:'; exit 0`], { file, flags: ['--no-intercept'] });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toMatch(/< HTTP\/1\.1 403 Forbidden/);
    expect(String(r.stdout)).toMatch(/CONNECT tunnel failed, response 403/);
    expect(upstream.requests).toHaveLength(0);
    expect(events(file, 'bypass')).toEqual([expect.objectContaining({ host: 'api.openai.com', port: 443, provider: 'openai', reason: 'no-intercept', status: 403 })]);
    expect(events(file, 'bypass')[0].message).toMatch(/--no-intercept.*OPENAI_BASE_URL/);
    expect(String(r.stderr)).toMatch(/refused 1 attempt to reach a model host around the guard:\n\s+guardrun refused a direct connection to the model host api\.openai\.com:443: with --no-intercept/);
    expect(readLines(file)[0].egress).toEqual({ intercept: false });
  });

  it('--no-intercept: Node fetch fails at once, and --fail-on-deny makes the run fail', async () => {
    const node = envProxyNode();
    if ('missing' in node) throw new Error(`this test needs a Node that reads HTTPS_PROXY for fetch: ${node.missing}`);
    const file = sessionPath();
    const r = await run([node.path, join(AGENTS, 'hardcoded-openai.mjs')], { file, flags: ['--no-intercept', '--fail-on-deny'] });
    expect(agentResult(r.stdout).status).toBe(0);
    expect(r.exitCode).toBe(65);
    expect(events(file, 'bypass')[0]).toMatchObject({ reason: 'no-intercept' });
  }, 300_000);
});

describe('other hosts go through the egress proxy: tunnelled, logged, held to network.allow / network.deny', () => {
  it('a loopback site named literally in network.allow: tunnelled (CONNECT) and forwarded (plain HTTP), both logged', async () => {
    const file = sessionPath();
    siteHits.length = 0;
    const allow = policy(`network:\n  allow: ["127.0.0.1:${sitePort}"]\n`);
    const r = await run(['sh', '-c', `curl -sS --noproxy '' -p http://127.0.0.1:${sitePort}/tunnelled && curl -sS --noproxy '' http://127.0.0.1:${sitePort}/forwarded`], { file, flags: ['--policy', allow] });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toBe('hello from the loopback site\nhello from the loopback site');
    // The proxy credentials never reach the site.
    expect(siteHits).toEqual(['GET /tunnelled', 'GET /forwarded']);
    const egress = events(file, 'egress');
    expect(egress).toEqual([
      expect.objectContaining({ id: 1, method: 'CONNECT', host: '127.0.0.1', port: sitePort, verdict: 'allow', rule: 'network.allow', pattern: `127.0.0.1:${sitePort}`, status: 200, address: '127.0.0.1' }),
      expect.objectContaining({ id: 2, method: 'GET', host: '127.0.0.1', port: sitePort, path: '/forwarded', verdict: 'allow', status: 200 }),
    ]);
    expect(egress[0].bytesUp).toBeGreaterThan(50);
    expect(egress[0].bytesDown).toBeGreaterThan(50);
    expect(egress[1].bytesDown).toBe('hello from the loopback site\n'.length);
    expect(String(r.stderr)).toMatch(/\(0 requests, 2 egress connections,/);
  });

  it('loopback not named literally is refused: a page the agent fetches cannot reach this machine through guardrun', async () => {
    const file = sessionPath();
    siteHits.length = 0;
    const r = await run(['sh', '-c', `curl -sS --noproxy '' -p http://localhost:${sitePort}/ ; echo rc=$?`], { file });
    expect(String(r.stdout)).toMatch(/rc=56/);
    expect(siteHits).toHaveLength(0);
    expect(events(file, 'egress')[0]).toMatchObject({ host: 'localhost', verdict: 'deny', rule: 'network.loopback', status: 403 });
    expect(events(file, 'egress')[0].reason).toMatch(/network\.allow names the address itself, e\.g\. "(127\.0\.0\.1|\[::1\]):\d+"/);
  });

  it('a denied host is refused with 403 and listed at exit; --fail-on-deny makes the run fail', async () => {
    const file = sessionPath();
    const deny = policy('network:\n  deny: ["*.denied.example"]\n');
    const r = await run(['sh', '-c', 'curl -sS https://www.denied.example/ ; echo rc=$?'], { file, flags: ['--policy', deny, '--fail-on-deny'] });
    expect(String(r.stdout)).toMatch(/rc=56/);
    expect(r.exitCode).toBe(65);
    expect(events(file, 'egress')).toEqual([expect.objectContaining({ method: 'CONNECT', host: 'www.denied.example', port: 443, verdict: 'deny', rule: 'network.deny', pattern: '*.denied.example', decidedBy: 'policy', status: 403, bytesUp: 0 })]);
    expect(String(r.stderr)).toMatch(/refused 1 egress connection:\n\s+www\.denied\.example:443\s+network\.deny "\*\.denied\.example" \(policy\)/);
  });

  it('network.unknown: ask is denied in CI, saying so', async () => {
    const file = sessionPath();
    const ask = policy('network:\n  unknown: ask\n');
    const r = await run(['sh', '-c', 'curl -sS https://unlisted.example/ ; echo rc=$?'], { file, flags: ['--policy', ask, '--ci'] });
    expect(String(r.stdout)).toMatch(/rc=56/);
    expect(events(file, 'egress')[0]).toMatchObject({ host: 'unlisted.example', verdict: 'deny', rule: 'network.unknown', decidedBy: 'ci' });
    expect(events(file, 'egress')[0].reason).toMatch(/--ci was given/);
  });

  it('another process cannot use the proxy: without the session token it is answered 407, for CONNECT and plain HTTP', async () => {
    const file = sessionPath();
    siteHits.length = 0;
    const allow = policy(`network:\n  allow: ["127.0.0.1:${sitePort}"]\n`);
    // The child strips the credentials from its own proxy URL, as a process that only knows the port would do.
    const script = `P=$(printf %s "$HTTPS_PROXY" | sed 's#//[^@]*@#//#'); curl -sS -o /dev/null -w '%{http_code} ' -x "$P" --noproxy '' http://127.0.0.1:${sitePort}/plain; curl -sS -o /dev/null -p -x "$P" --noproxy '' http://127.0.0.1:${sitePort}/tunnel; echo rc=$?`;
    const r = await run(['sh', '-c', script], { file, flags: ['--policy', allow] });
    expect(String(r.stdout)).toMatch(/^407 rc=56/);
    expect(siteHits).toHaveLength(0);
    expect(events(file, 'egress')).toHaveLength(0);
  });
});

describe("the user's own proxy is chained, not lost", () => {
  it('tunnels and plain-HTTP requests go through HTTPS_PROXY / HTTP_PROXY with its credentials; the child still only sees guardrun', async () => {
    const seen: string[] = [];
    const parent = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['proxy-authorization'] ?? 'no-auth'}`);
      const target = new URL(req.url ?? '');
      const forward = request({ host: target.hostname, port: target.port, path: target.pathname, method: req.method, headers: { host: target.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(forward);
    });
    parent.on('connect', (req, socket, head) => {
      seen.push(`CONNECT ${req.url} ${req.headers['proxy-authorization'] ?? 'no-auth'}`);
      const [host, port] = (req.url ?? '').split(':');
      const far = connectTcp(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        far.write(head);
        far.pipe(socket);
        socket.pipe(far);
      });
      far.on('error', () => socket.destroy());
      socket.on('error', () => far.destroy());
    });
    await new Promise<void>((resolve) => parent.listen(0, '127.0.0.1', resolve));
    const parentUrl = `http://corp-user:corp%20pass@127.0.0.1:${(parent.address() as AddressInfo).port}`;
    try {
      const file = sessionPath();
      siteHits.length = 0;
      const allow = policy(`network:\n  allow: ["127.0.0.1:${sitePort}"]\n`);
      const script = `printf '%s\\n' "$HTTPS_PROXY" | grep -q corp-user && echo LEAKED; curl -sS --noproxy '' -p http://127.0.0.1:${sitePort}/a && curl -sS --noproxy '' http://127.0.0.1:${sitePort}/b`;
      const r = await run(['sh', '-c', script], { file, flags: ['--policy', allow], env: { HTTPS_PROXY: parentUrl, HTTP_PROXY: parentUrl, NO_PROXY: '' } });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      expect(String(r.stdout)).toBe('hello from the loopback site\nhello from the loopback site');
      const basic = `Basic ${Buffer.from('corp-user:corp pass').toString('base64')}`;
      expect(seen).toEqual([`CONNECT 127.0.0.1:${sitePort} ${basic}`, `GET http://127.0.0.1:${sitePort}/b ${basic}`]);
      expect(siteHits).toEqual(['GET /a', 'GET /b']);
      const via = `127.0.0.1:${(parent.address() as AddressInfo).port}`;
      expect(events(file, 'egress').map((e) => e.via)).toEqual([via, via]);
      expect(readFileSync(file, 'utf8')).not.toContain('corp pass');
    } finally {
      parent.closeAllConnections();
      await new Promise((resolve) => parent.close(resolve));
    }
  });
});

describe('the session CA', () => {
  it('the child gets public certificates only, in a private directory removed at exit', async () => {
    const tmp = tempDir('guardrun-egress-tmp-');
    const script = 'echo "ca=$NODE_EXTRA_CA_CERTS bundle=$SSL_CERT_FILE"; ls -ld "$(dirname "$NODE_EXTRA_CA_CERTS")" | cut -c1-10; grep -rl "PRIVATE KEY" "$TMPDIR" || echo no-private-key; grep -c "BEGIN CERTIFICATE" "$NODE_EXTRA_CA_CERTS" "$SSL_CERT_FILE"';
    const r = await run(['sh', '-c', script], { env: { TMPDIR: tmp } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = String(r.stdout);
    const ca = /ca=(\S+)/.exec(out)![1];
    expect(ca.startsWith(tmp)).toBe(true);
    expect(out).toMatch(/^drwx------/m);
    expect(out).toContain('no-private-key');
    expect(out).toMatch(new RegExp(`${ca}:1\\n`));
    expect(Number(/ca-bundle\.pem:(\d+)/.exec(out)![1])).toBeGreaterThan(50); // the system roots and the session CA
    expect(existsSync(ca)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('a kill -9 of guardrun leaves the trust files behind, holding public certificates only', async () => {
    const tmp = tempDir('guardrun-egress-kill-');
    const child = execa(process.execPath, [BIN, ...keyArgs(upstream.url, sessionPath()), '--', 'sleep', '30'], { env: baseEnv({ OPENAI_REAL: FAKE_OPENAI_KEY, TMPDIR: tmp }), extendEnv: false, reject: false });
    let files: string[] = [];
    for (let i = 0; i < 100 && files.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      files = readdirSync(tmp).flatMap((d) => (d.startsWith('guardrun-ca-') ? readdirSync(join(tmp, d)).map((f) => join(tmp, d, f)) : []));
    }
    child.kill('SIGKILL');
    await child;
    expect(files.map((f) => f.split('/').pop()).sort()).toEqual(['ca-bundle.pem', 'guardrun-ca.pem']);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(text).not.toMatch(/PRIVATE KEY/);
      expect(text.replace(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g, '').replace(/^#.*$/gm, '').trim()).toBe('');
    }
  });
});

describe('guardrun replay shows the egress side', () => {
  it('lists egress connections and refused bypasses, and counts them in the totals', async () => {
    const file = sessionPath();
    const deny = policy('network:\n  deny: ["blocked.example"]\n');
    await run(['sh', '-c', 'curl -sS https://blocked.example/ ; curl -sS https://api.openai.com/v1/models; true'], { file, flags: ['--policy', deny, '--no-intercept'] });
    const shown = await guardrun(['replay', file]);
    expect(shown.exitCode, String(shown.stderr)).toBe(0);
    expect(String(shown.stdout)).toMatch(/refused: model hosts reached around the guard\n\s+api\.openai\.com:443\s+no-intercept/);
    expect(String(shown.stdout)).toMatch(/egress \(other hosts, through guardrun's proxy\)\n\s+~1\s+\S+\s+blocked\.example:443\s+denied: network\.deny "blocked\.example"\s+403/);
    expect(String(shown.stdout)).toMatch(/1 egress \(1 denied\) · 1 bypass refused/);
    const json = JSON.parse(String((await guardrun(['replay', file, '--json'])).stdout));
    expect(json.egress).toEqual([expect.objectContaining({ target: 'blocked.example:443', verdict: 'deny', rule: 'network.deny' })]);
    expect(json.bypasses).toEqual([expect.objectContaining({ target: 'api.openai.com:443', reason: 'no-intercept' })]);
    expect(json.totals.egress).toEqual({ connections: 1, denied: 1, bytesUp: 0, bytesDown: 0, bypasses: 1 });
  });
});
