import { describe, expect, it } from 'vitest';
import { parseSession } from '../recording/reader.js';
import { BUILTIN_DETECTORS } from '../secrets/detectors.js';
import { createScanner } from '../secrets/scan.js';
import { outlineSession } from './exchanges.js';
import type { Divergence } from './replay-pool.js';
import { createReplaySockets } from './replay-sockets.js';
import { sealEvents, startEvent } from './test-session.js';

const scanner = createScanner(BUILTIN_DETECTORS);
const mask = (t: string): string => scanner.mask(t).text;
const T = '2026-01-01T00:00:01.000Z';
const ws = { transport: 'websocket', connection: 1 };
const create = (input: string) => ({ type: 'response.create', model: 'gpt-4o-mini', input });
const request = (id: number, input: string) => ({ type: 'request', id, time: T, method: 'WS', path: '/v1/responses', provider: 'openai', endpoint: 'WS /v1/responses', stream: true, headers: {}, body: { json: create(input) }, ...ws });
const msg = (o: Record<string, unknown>) => JSON.stringify(o);

function session() {
  return parseSession(sealEvents([
    startEvent(),
    { type: 'ws.upgrade', connection: 1, time: T, path: '/v1/responses', provider: 'openai', endpoint: 'WS /v1/responses', status: 101, headers: {} },
    { type: 'ws.message', connection: 1, time: T, direction: 'server', data: msg({ type: 'hello' }) },
    request(1, 'first'),
    { type: 'response', id: 1, time: T, status: 200, headers: {}, events: [{ t: 0, data: msg({ type: 'response.created' }) }, { t: 5, data: msg({ type: 'response.completed' }) }], durationMs: 9, source: 'upstream', ...ws },
    { type: 'ws.message', connection: 1, time: T, direction: 'server', data: msg({ type: 'codex.rate_limits' }) },
    request(2, 'launch codes'),
    { type: 'decision', id: 2, phase: 'request', verdict: 'deny', decidedBy: 'policy', checks: [], rules: ['rule:no-launch'] },
    { type: 'response', id: 2, time: T, status: 400, headers: {}, durationMs: 1, error: { code: 'rule:no-launch', message: 'denied' }, source: 'guardrun', ...ws },
    { type: 'ws.close', connection: 1, time: T, by: 'client', code: 1000, durationMs: 20 },
  ]), 's.jsonl');
}

function replay() {
  const s = session();
  const divergences: Divergence[] = [];
  let n = 0;
  const sockets = createReplaySockets({ session: s, exchanges: outlineSession(s).exchanges, prefixes: { openai: '' }, mask, divergences, nextRequest: () => ++n });
  return { sockets, divergences };
}

async function connect(r: ReturnType<typeof replay>) {
  const got: string[] = [];
  let closed: number | undefined;
  const socket = await r.sockets.sockets.openai!.connect({ path: '/v1/responses', headers: {}, protocols: [], maxPayload: 1e6 }, {
    message: (data) => got.push(JSON.parse(data.toString()).type),
    close: (code) => (closed = code),
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
  return { socket, got, settle, closed: () => closed };
}

describe('the WebSocket replay upstream', () => {
  it('greets, then answers a frame with its exchange events and the connection messages that followed it', async () => {
    const r = replay();
    const c = await connect(r);
    c.socket.send(JSON.stringify({ input: 'first', model: 'gpt-4o-mini', type: 'response.create' }), () => undefined); // key order does not matter
    await c.settle();
    expect(c.got).toEqual(['hello', 'response.created', 'response.completed', 'codex.rate_limits']);
    expect(r.divergences).toEqual([]);
    expect(r.sockets.answered()).toBe(1);
  });

  it('fails closed on a frame the recording denied or never saw, naming it', async () => {
    const r = replay();
    const c = await connect(r);
    c.socket.send(JSON.stringify(create('launch codes')), () => undefined);
    c.socket.send(JSON.stringify(create('other')), () => undefined);
    await c.settle();
    expect(c.got).toEqual(['hello', 'error', 'error']);
    expect(r.divergences.map((d) => d.message)).toEqual([
      expect.stringContaining('it is recorded #2, but it was denied in the recording (rule:no-launch)'),
      expect.stringContaining('nearest is recorded #1: the body differs at /input: recorded "first", now "other"'),
    ]);
    expect(r.sockets.unused().map((x) => x.id)).toEqual([1]);
  });

  it('refuses a connection the recording does not have', async () => {
    const r = replay();
    await connect(r);
    await expect(connect(r)).rejects.toMatchObject({ status: 409 });
    expect(r.divergences[0].message).toContain('WebSocket connection to /v1/responses');
  });
});
