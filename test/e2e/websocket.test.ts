// End-to-end: WebSockets through the built CLI (Responses WebSocket mode and Realtime), against the fake
// upstream's WebSocket routes, with the openai SDK's ResponsesWS, the Agents SDK's Realtime session and a
// raw `ws` probe for what SDKs do not do.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { AGENTS, FAKE_OPENAI_KEY, agentResult, guardrun, keyArgs, readLines, tempDir } from './harness.js';

let upstream: FakeUpstream;
let dir: string;
let n = 0;
const sessionPath = (): string => join(dir, `ws${++n}.jsonl`);

beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
  dir = tempDir('guardrun-ws-');
});
afterAll(async () => {
  await upstream?.close();
});

/** A policy file: the default plus `extra` YAML (unknown prices allowed: the realtime model has none). */
function policy(extra = ''): string {
  const file = join(dir, `policy${++n}.yaml`);
  writeFileSync(file, `version: 1\ncost:\n  unknown_model: allow\n${extra}`);
  return file;
}

const DENY_RULES = `rules:
  - { id: no-launch-codes, on: request, match: { words: ["launch codes"] }, action: deny, message: "Launch codes stay here." }
  - { id: no-rm, on: response, match: { tool: "^shell$", arguments: "rm -rf" }, action: deny }
`;

function run(command: string[], opts: { file?: string; policy?: string; upstreamUrl?: string } = {}) {
  const file = opts.file ?? sessionPath();
  const args = [...keyArgs(opts.upstreamUrl ?? upstream.url, file), ...(opts.policy ? ['--policy', opts.policy] : []), '--', ...command];
  return { file, result: guardrun(args, { env: { OPENAI_REAL: FAKE_OPENAI_KEY } }) };
}

async function probe(scenario: Record<string, unknown>, opts: { policy?: string; upstreamUrl?: string } = {}) {
  const { file, result } = run(['node', join(AGENTS, 'ws-probe.mjs'), JSON.stringify(scenario)], opts);
  const r = await result;
  expect(r.exitCode, String(r.stderr) + String(r.stdout)).toBe(0);
  const text = readFileSync(file, 'utf8');
  expectNoKeys(String(r.stdout), String(r.stderr), text);
  return { out: agentResult(r.stdout), lines: readLines(file), stderr: String(r.stderr) };
}

function expectNoKeys(...texts: string[]): void {
  for (const text of texts) {
    expect(text).not.toContain(FAKE_OPENAI_KEY);
    expect(text).not.toMatch(/sk-guardrun-[A-Za-z0-9_-]{20,}/);
  }
}

const create = (input: string, extra: Record<string, unknown> = {}) => ({ type: 'response.create', model: 'gpt-4o-mini', input, ...extra });
const types = (events: Array<{ type?: string }>) => events.map((e) => e.type);

describe('Responses WebSocket mode through the openai SDK (ResponsesWS)', () => {
  it('answers over one connection with the real key upstream, a tool round trip included, and records it', async () => {
    upstream.requests.length = 0;
    upstream.sockets.length = 0;
    const { file, result } = run(['node', join(AGENTS, 'openai-responses-ws.mjs'), 'list files [[tool:shell {"cmd":"ls"}]]']);
    const r = await result;
    expect(r.exitCode, String(r.stderr) + String(r.stdout)).toBe(0);
    const agent = agentResult(r.stdout);
    expect(agent).toMatchObject({ ok: true, turns: 2, text: 'Tool said: ran shell', toolCalls: [{ name: 'shell', arguments: '{"cmd":"ls"}' }] });
    expect(agent.events.filter((t: string) => t === 'response.completed')).toHaveLength(2);
    // One upgrade, carrying the real key and nothing of the dummy one.
    const upgrades = upstream.requests.filter((q) => q.websocket);
    expect(upgrades).toHaveLength(1);
    expect(upstream.requests).toHaveLength(1);
    expect(upgrades[0].headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
    expect(JSON.stringify(upgrades[0].headers)).not.toMatch(/sk-guardrun-/);
    expect(upstream.sockets[0].received).toHaveLength(2);
    const lines = readLines(file);
    const upgrade = lines.find((l) => l.type === 'ws.upgrade')!;
    expect(upgrade).toMatchObject({ connection: 1, status: 101, endpoint: 'WS /v1/responses', path: '/v1/responses' });
    const requests = lines.filter((l) => l.type === 'request');
    expect(requests.map((q) => [q.method, q.endpoint, q.transport, q.connection])).toEqual([['WS', 'WS /v1/responses', 'websocket', 1], ['WS', 'WS /v1/responses', 'websocket', 1]]);
    expect(requests[1].body.json.previous_response_id).toBe('resp_fake1');
    const responses = lines.filter((l) => l.type === 'response');
    expect(responses.map((x) => [x.status, x.transport, x.source])).toEqual([[200, 'websocket', 'upstream'], [200, 'websocket', 'upstream']]);
    expect(JSON.parse(responses[0].events[0].data).type).toBe('response.created');
    expect(responses[1].usage).toMatchObject({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) });
    expect(responses[1].costUsd).toBeGreaterThan(0);
    expect(lines.find((l) => l.type === 'ws.close')).toMatchObject({ connection: 1, by: 'client', code: 1000 });
    expect(lines.at(-1)).toMatchObject({ type: 'session.end', requests: 2, denied: 0 });
    expectNoKeys(String(r.stdout), String(r.stderr), readFileSync(file, 'utf8'));

    const verify = await guardrun(['replay', file, '--verify-only']);
    expect(verify.exitCode, String(verify.stdout)).toBe(0);
    const show = await guardrun(['replay', file, '--json', '--full']);
    expect(show.exitCode).toBe(0);
    const doc = JSON.parse(String(show.stdout));
    expect(doc.exchanges.map((e: { method: string; outcome: string }) => [e.method, e.outcome])).toEqual([['WS', 'allowed'], ['WS', 'allowed']]);
    expect(doc.exchanges[0].transport).toBe('websocket');
    expect(doc.chain.ok).toBe(true);
  });
});

describe('the WebSocket upgrade', () => {
  it('takes the session key from Authorization or the key subprotocol, and refuses anything else with 401', async () => {
    const none = await probe({ auth: 'none' });
    expect(none.out).toMatchObject({ upgraded: false, status: 401, retry: 'false' });
    expect(none.out.body.error.code).toBe('guardrun_invalid_key');
    const wrong = await probe({ auth: 'wrong' });
    expect(wrong.out.status).toBe(401);
    upstream.requests.length = 0;
    const viaProtocol = await probe({ auth: 'protocol', protocols: ['realtime'], steps: [{ send: create('hi'), expect: 'response.completed' }] });
    expect(viaProtocol.out.upgraded).toBe(true);
    expect(types(viaProtocol.out.received)).toContain('response.completed');
    const seen = upstream.requests.find((q) => q.websocket)!;
    expect(seen.headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
    expect(String(seen.headers['sec-websocket-protocol'])).toBe('realtime'); // the key-bearing one is not forwarded
    expect(viaProtocol.out.protocol).toBe('realtime');
    expect(JSON.stringify(viaProtocol.lines)).not.toContain('openai-insecure-api-key');
  });

  it('passes frames both ways unchanged when nothing is masked (and keeps the upstream URL\'s path prefix)', async () => {
    upstream.sockets.length = 0;
    const sent = '{"type":"response.create","model":"gpt-4o-mini","input":"Repeat after me [[say:café ✓ \\"quoted\\"]]","metadata":{"k":"v"}}';
    const { out } = await probe({ steps: [{ send: sent, expect: 'response.completed' }] }, { upstreamUrl: `${upstream.url}/gateway/openai` });
    const conn = upstream.sockets.at(-1)!;
    expect(conn.path).toBe('/gateway/openai/v1/responses');
    expect(conn.received).toEqual([sent]);
    expect(out.received).toEqual(conn.sent.map((t) => JSON.parse(t)));
    expect(out.received.filter((e: { type: string }) => e.type === 'response.output_text.delta').map((e: { delta: string }) => e.delta).join('')).toBe('café ✓ "quoted"');
  });

  it('passes server events on as they come, not buffered (measured at the client)', async () => {
    const gapMs = 60;
    const { out } = await probe({ headers: { 'x-fake-gap-ms': String(gapMs) }, steps: [{ send: create('count [[say:one two three four five six seven]]'), expect: 'response.completed' }] });
    const arrivals: number[] = out.arrivals;
    expect(arrivals.length).toBeGreaterThan(8);
    // Buffered, they would arrive together; relayed, they keep the upstream's spacing.
    expect(arrivals.at(-1)! - arrivals[0]).toBeGreaterThan(gapMs * (arrivals.length - 2) * 0.5);
    expect(new Set(arrivals.map((t) => Math.round(t / (gapMs / 2)))).size).toBeGreaterThan(arrivals.length / 2);
  });

  it('redacts a secret in a response.create before it leaves (default policy), and never records it', async () => {
    upstream.sockets.length = 0;
    const planted = 'sk-proj-test-fake-0123456789abcdefghijklmnopqrstuv';
    const { lines } = await probe({ steps: [{ send: create(`my key is ${planted}`), expect: 'response.completed' }] });
    const sent = String(upstream.sockets.at(-1)!.received[0]);
    expect(sent).not.toContain(planted);
    expect(JSON.parse(sent).input).toBe('my key is [REDACTED:openai-key]');
    expect(JSON.stringify(lines)).not.toContain(planted);
  });

  it('masks a key in a server frame, for the agent and in the record', async () => {
    const { out, lines } = await probe({ steps: [{ send: create('who are you [[reveal-key]]'), expect: 'response.completed' }] });
    const text = out.received.filter((e: { type: string }) => e.type === 'response.output_text.delta').map((e: { delta: string }) => e.delta).join('');
    expect(text).toContain('[REDACTED:openai-real-key]');
    expect(JSON.stringify(lines)).toContain('[REDACTED:openai-real-key]');
  });

  it('refuses a path it does not serve with 404, and a policy without the endpoint with 426, recorded once', async () => {
    const unknown = await probe({ path: '/v1/chat/completions' });
    expect(unknown.out).toMatchObject({ upgraded: false, status: 404 });
    const noWs = policy('endpoints:\n  allow: ["POST /v1/responses"]\n');
    upstream.requests.length = 0;
    const { file, result } = run(['sh', '-c', `node ${join(AGENTS, 'ws-probe.mjs')} '{}' && node ${join(AGENTS, 'ws-probe.mjs')} '{}'`], { policy: noWs });
    const r = await result;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const outs = String(r.stdout).trim().split('\n').map((l) => JSON.parse(l));
    expect(outs.map((o) => o.status)).toEqual([426, 426]);
    expect(outs[0].body.error.message).toMatch(/WS \/v1\/responses is not in endpoints\.allow; use HTTP \(POST \/v1\/responses\)/);
    expect(upstream.requests).toHaveLength(0);
    const lines = readLines(file);
    expect(lines.filter((l) => l.type === 'request')).toHaveLength(1);
    expect(lines.find((l) => l.type === 'decision')).toMatchObject({ verdict: 'deny', rules: ['endpoint'] });
    expect(lines.find((l) => l.type === 'response')).toMatchObject({ status: 426, error: { code: 'endpoint' } });
    const realtime = await probe({ path: '/v1/realtime?model=gpt-realtime' }, { policy: noWs });
    expect(realtime.out.status).toBe(403);
  });

  it('answers an upstream that refuses the upgrade with 426, and one that refuses the key with 400 (neither retried by Codex)', async () => {
    const refused = await probe({ headers: { 'x-fake-ws-status': '404' } });
    expect(refused.out).toMatchObject({ upgraded: false, status: 426 });
    expect(refused.out.body.error.code).toBe('guardrun_upstream_no_websocket');
    expect(refused.lines.find((l) => l.type === 'ws.upgrade')).toMatchObject({ status: 426, error: { upstreamStatus: 404 } });
    const badKey = await probe({ headers: { 'x-fake-ws-status': '401' } });
    expect(badKey.out).toMatchObject({ status: 400 });
    expect(badKey.out.body.error.code).toBe('guardrun_upstream_refused_key');
  });
});

describe('the policy on WebSocket events', () => {
  it('refuses a response.create a rule denies with an error event naming the rule; the connection goes on', async () => {
    upstream.sockets.length = 0;
    const steps = [{ send: create('what are the launch codes?'), expect: 'error' }, { send: create('say hi'), expect: 'response.completed' }];
    const { out, lines } = await probe({ steps }, { policy: policy(DENY_RULES) });
    const error = out.received[0];
    expect(error).toMatchObject({ type: 'error', status: 400, code: 'rule:no-launch-codes', error: { code: 'rule:no-launch-codes', type: 'invalid_request_error' } });
    expect(error.message).toContain('Launch codes stay here.');
    expect(types(out.received)).toContain('response.completed');
    expect(upstream.sockets.at(-1)!.received).toHaveLength(1); // the denied event never left
    expect(lines.filter((l) => l.type === 'response').map((x) => [x.status, x.error?.code])).toEqual([[400, 'rule:no-launch-codes'], [200, undefined]]);
    expect(lines.at(-1)).toMatchObject({ type: 'session.end', requests: 2, denied: 1 });
  });

  it('holds a streamed tool call, replaces it with the error event, records the usage and carries on', async () => {
    const steps = [
      { send: create('clean up [[tool:shell {"cmd":"rm -rf /tmp/x"}]]'), expect: 'error' },
      { wait: 100 },
      { send: create('say hi'), expect: 'response.completed' },
    ];
    const { out, lines } = await probe({ steps }, { policy: policy(DENY_RULES) });
    const seen = types(out.received);
    const refused = seen.slice(0, seen.indexOf('error'));
    expect(refused).toEqual(['response.created', 'response.in_progress']); // the call was held from its first event
    expect(out.received.find((e: { type: string }) => e.type === 'error')).toMatchObject({ status: 400, code: 'rule:no-rm' });
    expect(seen.filter((t) => t === 'response.completed')).toHaveLength(1);
    expect(JSON.stringify(out.received)).not.toContain('rm -rf');
    const responses = lines.filter((l) => l.type === 'response');
    expect(responses[0].usage.outputTokens).toBeGreaterThan(0); // read from the dropped response.completed
    expect(JSON.stringify(responses[0].events)).not.toContain('rm -rf');
    expect(lines.find((l) => l.type === 'decision' && l.phase === 'response')).toMatchObject({ verdict: 'deny', rules: ['rule:no-rm'] });
    expect(lines.at(-1)).toMatchObject({ type: 'session.end', requests: 2, denied: 1 });
  });

  it('refuses a binary frame by closing with 1003', async () => {
    const { out, lines } = await probe({ steps: [{ binary: 16 }, { until: 'never' }] });
    expect(out.close).toMatchObject({ code: 1003 });
    expect(lines.find((l) => l.type === 'ws.message')).toMatchObject({ direction: 'client', omitted: 'binary frame', bytes: 16 });
    expect(lines.find((l) => l.type === 'ws.close')).toMatchObject({ by: 'guardrun', code: 1003 });
  });
});

describe('connections that close mid-response', () => {
  it('records an exchange the agent abandons, and finishes it once', async () => {
    const steps = [{ send: create('talk slowly [[say:one two three four five six]]'), expect: 'response.output_text.delta' }, { close: 1000 }];
    const { lines } = await probe({ headers: { 'x-fake-gap-ms': '80' }, steps });
    const response = lines.find((l) => l.type === 'response')!;
    expect(response).toMatchObject({ status: 200, error: { code: 'guardrun_client_closed' }, transport: 'websocket' });
    expect(response.events.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.type === 'response')).toHaveLength(1);
    expect(lines.at(-1)).toMatchObject({ type: 'session.end', requests: 1 });
  });

  it('passes the upstream\'s close on, its reason masked, and records the cut exchange', async () => {
    const { out, lines } = await probe({ steps: [{ send: create('bye [[close:4001]] [[reveal-key]]'), expect: 'response.completed' }] });
    expect(out.close.code).toBe(4001);
    expect(out.close.reason).toContain('[REDACTED:openai-real-key]');
    expect(lines.find((l) => l.type === 'response')).toMatchObject({ error: { code: 'guardrun_upstream_closed' } });
    expect(lines.find((l) => l.type === 'ws.close')).toMatchObject({ by: 'upstream', code: 4001 });
  });
});

describe('Realtime', () => {
  it('runs an Agents SDK realtime session with a tool call, every text event checked', async () => {
    const { file, result } = run(['node', join(AGENTS, 'realtime-agent.mjs'), 'list files [[tool:shell {"cmd":"ls"}]]'], { policy: policy() });
    const r = await result;
    expect(r.exitCode, String(r.stderr) + String(r.stdout)).toBe(0);
    expect(agentResult(r.stdout)).toMatchObject({ ok: true, text: 'Tool said: ran ls', tools: [{ name: 'shell', result: 'ran ls' }], errors: [] });
    const lines = readLines(file);
    const kinds = lines.filter((l) => l.type === 'request').map((q) => q.body.json.type);
    expect(kinds).toEqual(expect.arrayContaining(['session.update', 'conversation.item.create', 'response.create']));
    expect(lines.filter((l) => l.type === 'request').every((q) => q.endpoint === 'WS /v1/realtime' && q.model === 'gpt-realtime')).toBe(true);
    const generated = lines.filter((l) => l.type === 'response' && l.events);
    expect(generated).toHaveLength(2);
    expect(generated[0].usage.outputTokens).toBeGreaterThan(0);
    expect(lines.some((l) => l.type === 'ws.message' && l.direction === 'server' && l.data.includes('session.created'))).toBe(true);
    expectNoKeys(readFileSync(file, 'utf8'));
  });

  it("runs the openai SDK's own Realtime client, which turns the base URL into wss://: TLS on guardrun's port, the same guard", async () => {
    const { file, result } = run(['node', join(AGENTS, 'openai-realtime.mjs'), 'list files [[tool:shell {"cmd":"ls"}]]'], { policy: policy() });
    const r = await result;
    expect(r.exitCode, String(r.stderr) + String(r.stdout)).toBe(0);
    expect(agentResult(r.stdout)).toMatchObject({ ok: true, text: 'Tool said: ran shell', toolCalls: [{ name: 'shell' }], errors: [] });
    const lines = readLines(file);
    expect(lines.find((l) => l.type === 'ws.upgrade')).toMatchObject({ status: 101, endpoint: 'WS /v1/realtime', model: 'gpt-realtime' });
    expect(lines.filter((l) => l.type === 'request').map((q) => q.body.json.type)).toEqual(expect.arrayContaining(['session.update', 'conversation.item.create', 'response.create']));
    expect(lines.filter((l) => l.type === 'decision').length).toBeGreaterThanOrEqual(4);
    expect(lines.some((l) => l.type === 'bypass')).toBe(false);
    expectNoKeys(readFileSync(file, 'utf8'), String(r.stdout), String(r.stderr));
  });

  it('refuses TLS to its port with --no-intercept (no CA): the SDK fails, nothing reaches the upstream unguarded', async () => {
    upstream.sockets.length = 0;
    const file = sessionPath();
    const r = await guardrun([...keyArgs(upstream.url, file), '--policy', policy(), '--no-intercept', '--', 'node', join(AGENTS, 'openai-realtime.mjs'), 'hello'], { env: { OPENAI_REAL: FAKE_OPENAI_KEY } });
    expect(r.exitCode).not.toBe(0);
    expect(upstream.sockets).toHaveLength(0);
    expect(readLines(file).filter((l) => l.type === 'request')).toEqual([]);
  });

  it('withholds a realtime tool call a rule denies; the SDK gets the error', async () => {
    const { file, result } = run(['node', join(AGENTS, 'realtime-agent.mjs'), 'clean up [[tool:shell {"cmd":"rm -rf /"}]]'], { policy: policy(DENY_RULES) });
    const r = await result;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const agent = agentResult(r.stdout);
    expect(agent.tools).toEqual([]);
    expect(agent.errors[0]).toMatchObject({ code: 'rule:no-rm' });
    // Nothing about the call reached the agent: not the response's events, not the connection's.
    const lines = readLines(file);
    const reached = [...lines.filter((l) => l.type === 'response').flatMap((l) => l.events ?? []), ...lines.filter((l) => l.type === 'ws.message' && l.direction === 'server' && !l.withheld)]
      .map((e) => JSON.parse(e.data));
    expect(reached.some((e) => e.type === 'error' && e.error.code === 'rule:no-rm')).toBe(true);
    const aboutCall = reached.filter((e) => e.type.startsWith('response.function_call') || e.item?.type === 'function_call' || JSON.stringify(e.response?.output ?? []).includes('function_call'));
    expect(aboutCall).toEqual([]);
    expect(lines.find((l) => l.type === 'decision' && l.phase === 'response')).toMatchObject({ verdict: 'deny', rules: ['rule:no-rm'] });
  });

  it('refuses audio visibly and does not send it', async () => {
    upstream.sockets.length = 0;
    const steps = [
      { until: 'session.created' },
      { send: { type: 'input_audio_buffer.append', event_id: 'evt_audio', audio: 'AAAAAAAA' }, expect: 'error' },
      { send: { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi [[say:hello]]' }] } } },
      { send: { type: 'response.create' }, expect: 'response.done' },
    ];
    const { out, lines } = await probe({ path: '/v1/realtime?model=gpt-realtime', steps }, { policy: policy() });
    expect(out.received.find((e: { type: string }) => e.type === 'error')).toMatchObject({ error: { code: 'guardrun_ws_audio_refused', event_id: 'evt_audio' } });
    expect(types(out.received)).toContain('response.done');
    const received = upstream.sockets.at(-1)!.received.map((t) => JSON.parse(String(t)).type);
    expect(received).toEqual(['conversation.item.create', 'response.create']);
    expect(lines.find((l) => l.type === 'ws.message' && l.direction === 'client')).toMatchObject({ omitted: 'audio', refused: { code: 'guardrun_ws_audio_refused' } });
  });
});
