// The server side of a WebSocket connection with the session's real guard and recorder: which exchange each
// server event belongs to, tool calls held and refused, events of no exchange kept behind held ones.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../policy/parse.js';
import { createRecorder, type Recorder } from '../../recording/recorder.js';
import { createSessionGuard, newSessionStats, noApprover } from '../../session/session-guard.js';
import type { Exchange, Guard } from '../types.js';
import type { ClientRef, WsProtocol } from './error-event.js';
import { ServerRelay } from './server-events.js';
import { WsExchange } from './ws-exchange.js';

const REAL = 'sk-test-fake-openai-real-key-000000000000000000000000';

function setup(protocol: WsProtocol, rules = '') {
  const file = join(mkdtempSync(join(tmpdir(), 'guardrun-relay-')), 's.jsonl');
  const recorder = createRecorder(file);
  const policy = parsePolicy(`version: 1\ncost:\n  unknown_model: allow\n${rules}`, 'p.yaml');
  const guard = createSessionGuard({
    keys: [{ provider: 'openai', value: REAL, source: 'test' }], dummyKey: 'sk-guardrun-test-dummy-000000000000', recorder, approver: noApprover(),
    stats: newSessionStats(), policy: { policy, source: 'p.yaml', sha256: '' },
  });
  const sent: string[] = [];
  const loose: Array<{ text: string; withheld: boolean }> = [];
  const relay = new ServerRelay({ protocol, guard, send: (t) => sent.push(t), recordLoose: (text, withheld) => loose.push({ text, withheld }) });
  let id = 0;
  const expectExchange = async (lane = '', ref: ClientRef = {}): Promise<WsExchange> => {
    const body = { type: 'response.create', model: 'gpt-4o-mini', input: 'hi' };
    const apiPath = protocol === 'realtime' ? '/v1/realtime' : '/v1/responses';
    const ex: Exchange = {
      id: ++id, provider: 'openai', method: 'WS', path: apiPath, apiPath, endpoint: `WS ${apiPath}`, model: 'gpt-4o-mini', stream: true, contentType: 'application/json',
      body: Buffer.from(JSON.stringify(body)), json: body, text: JSON.stringify(body), startedMs: performance.now(), guardMs: 0, transport: 'websocket', connection: 1,
    };
    await guard.checkRequest(ex);
    const x = new WsExchange(ex, guard as Guard, recorder as Recorder, 'upstream', lane, true, ref);
    relay.expect(x);
    return x;
  };
  const feed = async (...events: Array<Record<string, unknown>>): Promise<void> => {
    for (const e of events) await relay.message(JSON.stringify(e));
  };
  // A response line whose events must be masked for the file is written a few promise turns after its end.
  const records = async (): Promise<Array<Record<string, any>>> => {
    await new Promise((resolve) => setImmediate(resolve));
    recorder.flush();
    return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'response');
  };
  return { relay, sent, loose, expectExchange, feed, records };
}

const types = (texts: string[]): string[] => texts.map((t) => JSON.parse(t).type);
const completed = (extra: Record<string, unknown> = {}) => ({ type: 'response.completed', ...extra, response: { id: 'resp_x', output: [], usage: { input_tokens: 7, output_tokens: 3 } } });
const DENY_RM = 'rules:\n  - { id: no-rm, on: response, match: { arguments: "rm -rf" }, action: deny }\n';

describe('server events of a Responses WebSocket', () => {
  it('go to the oldest open exchange of their stream_id lane; a final event ends it; others pass as the connection\'s', async () => {
    const s = setup('responses');
    const a = await s.expectExchange('');
    const b = await s.expectExchange('b');
    await s.feed({ type: 'response.created', stream_id: 'b', response: { id: 'r2' } }, { type: 'response.created', response: { id: 'r1' } }, completed({ stream_id: 'b' }));
    expect(b.finished).toBe(true);
    expect(a.finished).toBe(false);
    await s.feed({ type: 'response.output_text.delta', output_index: 0, content_index: 0, delta: 'hi' }, completed(), { type: 'codex.rate_limits' });
    expect(a.finished).toBe(true);
    expect(types(s.sent)).toEqual(['response.created', 'response.created', 'response.completed', 'response.output_text.delta', 'response.completed', 'codex.rate_limits']);
    expect(s.loose.map((l) => JSON.parse(l.text).type)).toEqual(['codex.rate_limits']);
    const records = (await s.records());
    expect(records.map((r) => [r.id, r.status, r.events.length, r.usage?.outputTokens])).toEqual([[2, 200, 2, 3], [1, 200, 3, 3]]);
  });

  it('an error before response.created is the refusal of that request, with its status', async () => {
    const s = setup('responses');
    const a = await s.expectExchange();
    await s.feed({ type: 'error', status: 404, error: { code: 'previous_response_not_found', message: 'nope' } });
    expect(a.finished).toBe(true);
    expect((await s.records())[0]).toMatchObject({ status: 404, source: 'upstream', transport: 'websocket' });
    expect(types(s.sent)).toEqual(['error']);
  });

  it('holds a tool call and what comes after it; a refused call is replaced by the error event and its usage still read', async () => {
    const s = setup('responses', DENY_RM);
    const a = await s.expectExchange();
    const item = { id: 'fc_1', type: 'function_call', name: 'shell', call_id: 'c1', arguments: '' };
    await s.feed({ type: 'response.created', response: { id: 'r1' } }, { type: 'response.output_item.added', output_index: 0, item });
    await s.feed({ type: 'codex.rate_limits', stream_id: 'elsewhere' }); // no exchange of its own: waits behind the held call
    expect(types(s.sent)).toEqual(['response.created']);
    await s.feed(
      { type: 'response.function_call_arguments.delta', output_index: 0, item_id: 'fc_1', delta: '{"cmd":"rm -rf /"}' },
      { type: 'response.output_item.done', output_index: 0, item: { ...item, arguments: '{"cmd":"rm -rf /"}' } },
    );
    expect(types(s.sent)).toEqual(['response.created', 'error', 'codex.rate_limits']);
    expect(JSON.parse(s.sent[1])).toMatchObject({ status: 400, code: 'rule:no-rm' });
    expect(a.finished).toBe(false);
    await s.feed(completed());
    expect(a.finished).toBe(true);
    expect(s.sent).toHaveLength(3); // the rest of the refused response is read, not passed on
    expect((await s.records())[0]).toMatchObject({ status: 200, usage: { inputTokens: 7, outputTokens: 3 } });
    expect(JSON.stringify((await s.records())[0].events)).not.toContain('rm -rf');
  });
});

describe('server events of a Realtime WebSocket', () => {
  it('bind response ids to response.create in order; an error naming a client event ends that one', async () => {
    const s = setup('realtime');
    const a = await s.expectExchange('', { eventId: 'c1' });
    const b = await s.expectExchange('', { eventId: 'c2' });
    await s.feed({ type: 'error', event_id: 'e1', error: { code: 'bad', message: 'no', event_id: 'c2' } });
    expect(b.finished).toBe(true);
    expect(a.finished).toBe(false);
    await s.feed({ type: 'response.created', response: { id: 'r1' } }, { type: 'conversation.item.added', item: { id: 'm1', type: 'message' } });
    await s.feed({ type: 'response.done', response: { id: 'r1', output: [], usage: { input_tokens: 5, output_tokens: 2, input_token_details: { cached_tokens: 1 } } } });
    expect(a.finished).toBe(true);
    await s.feed({ type: 'session.updated', session: {} });
    expect(s.loose.map((l) => JSON.parse(l.text).type)).toEqual(['session.updated']);
    const records = (await s.records());
    expect(records.map((r) => [r.id, r.status])).toEqual([[2, 400], [1, 200]]);
    expect(records[1].usage).toMatchObject({ inputTokens: 5, outputTokens: 2, cachedInputTokens: 1 });
    expect(records[1].events.map((e: { data: string }) => JSON.parse(e.data).type)).toEqual(['response.created', 'conversation.item.added', 'response.done']);
  });

  it('withholds a response no checked response.create asked for, with one error event', async () => {
    const s = setup('realtime');
    await s.feed(
      { type: 'response.created', response: { id: 'r_vad' } },
      { type: 'response.output_item.added', response_id: 'r_vad', output_index: 0, item: { id: 'fc', type: 'function_call', name: 'shell' } },
      { type: 'response.done', response: { id: 'r_vad', output: [] } },
      { type: 'session.updated', session: {} },
    );
    expect(types(s.sent)).toEqual(['error', 'session.updated']);
    expect(JSON.parse(s.sent[0]).error.code).toBe('guardrun_ws_unrequested_response');
    expect(s.loose.map((l) => l.withheld)).toEqual([true, true, true, false]);
  });

  it('drops the connection\'s later events about a refused call (conversation.item.done after response.done)', async () => {
    const s = setup('realtime', DENY_RM);
    await s.expectExchange();
    const item = { id: 'fc_9', type: 'function_call', name: 'shell', call_id: 'c9', arguments: '' };
    await s.feed(
      { type: 'response.created', response: { id: 'r9' } },
      { type: 'response.output_item.added', response_id: 'r9', output_index: 0, item },
      { type: 'response.output_item.done', response_id: 'r9', output_index: 0, item: { ...item, arguments: '{"cmd":"rm -rf /"}' } },
      { type: 'response.done', response: { id: 'r9', output: [{ ...item, arguments: '{"cmd":"rm -rf /"}' }], usage: { input_tokens: 1, output_tokens: 1 } } },
      { type: 'conversation.item.done', item: { ...item, arguments: '{"cmd":"rm -rf /"}' } },
    );
    expect(types(s.sent)).toEqual(['response.created', 'error']);
    expect(JSON.parse(s.sent[1]).error).toMatchObject({ code: 'rule:no-rm' });
    expect(s.loose).toHaveLength(1);
    expect(s.loose[0].withheld).toBe(true);
  });
});
