// The rehearsal: before the agent's first request, guardrun sends a few made-up requests through a copy of its own
// request path (the loopback server, handler, guard, stream filters, recorder, undici) to a made-up upstream, all
// inside its own process. Node compiles a function the first time it runs and V8 a regular expression the first
// time it matches, and undici compiles its HTTP parser (WebAssembly) at its first connection: a cold first request
// paid all of that (~20 ms for a 75 KB body, issue 13). The rehearsal pays it while the agent is still starting,
// and stops at the agent's first model request.
//
// Nothing of it is kept or sent anywhere: its own guard and totals, a recorder that keeps no line, fake keys, an
// upstream on 127.0.0.1 that answers from this file, no tokenizer worker, servers closed at the end. It shares
// only code (and the loaded price data) with the session. It never throws; one that fails or runs long is dropped.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenCounter } from '../cost/tokens.js';
import type { LoadedPolicy } from '../policy/load.js';
import type { Provider } from '../providers.js';
import { startProxy, type ProxyServer } from '../proxy/server.js';
import type { Pool } from 'undici';
import { createUpstream, loadPool } from '../proxy/upstream.js';
import { createDiscardingRecorder } from '../recording/recorder.js';
import { createDummyKey } from '../secrets/dummy-key.js';
import { createSessionGuard, newSessionStats, noApprover, type SessionGuard } from './session-guard.js';

/** The whole rehearsal is dropped after this long (it takes ~30–60 ms of CPU when nothing is warm yet). */
const REHEARSAL_LIMIT_MS = 10_000;

/**
 * Runs the rehearsal under `policy` (the session's, so its checks are the ones warmed). Resolves, with the HTTP
 * status of each rehearsal request answered, once it is over or was given up and everything it opened is closed
 * (never rejects). It uses idle time only: once `stop` resolves (the agent's first model request arrived, or the
 * session is ending), the rehearsal is dropped where it stands, so that request waits at most for the step in
 * progress (a few ms) and finds compiled whatever the rehearsal got through.
 */
export async function rehearse(policy: LoadedPolicy | undefined, stop: Promise<void>): Promise<number[]> {
  const statuses: number[] = [];
  let over = false;
  let client: Pool | undefined;
  // Each step checks `over` once it is done, and whatever was made is closed however the run ends.
  const run = async (): Promise<void> => {
    let upstream: Server | undefined;
    let proxy: ProxyServer | undefined;
    let guard: SessionGuard | undefined;
    try {
      upstream = await listen(createServer(answer));
      if (over) return;
      const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
      const dummyKey = createDummyKey();
      const recorder = createDiscardingRecorder();
      const keys = { openai: 'guardrun-rehearsal-openai', anthropic: 'guardrun-rehearsal-anthropic' };
      const held = Object.entries(keys).map(([provider, value]) => ({ provider: provider as Provider, value, source: 'rehearsal' }));
      // Its counter never starts a tokenizer worker of its own (texts count as their bytes, an upper bound).
      const counter = createTokenCounter({ countText: (text) => Buffer.byteLength(text, 'utf8') });
      guard = createSessionGuard({ keys: held, dummyKey, stats: newSessionStats(), recorder, policy, approver: noApprover(), counter });
      proxy = await startProxy({ dummyKey, keys, recorder, guard, maxBodyBytes: 1024 * 1024, upstreams: { openai: createUpstream('openai', origin), anthropic: createUpstream('anthropic', origin) } });
      if (over) return;
      const PoolClass = loadPool();
      client = new PoolClass(proxy.origin, { connections: 1, headersTimeout: REHEARSAL_LIMIT_MS, bodyTimeout: REHEARSAL_LIMIT_MS });
      for (const r of rehearsalRequests(dummyKey)) {
        if (over) return;
        const res = await client.request({ method: 'POST', path: r.path, headers: { 'content-type': 'application/json', ...r.headers }, body: JSON.stringify(r.body) });
        await res.body.arrayBuffer();
        statuses.push(res.statusCode);
      }
    } finally {
      await client?.destroy().catch(() => undefined);
      const server = upstream;
      server?.closeAllConnections();
      const closed = server && new Promise((resolve) => server.close(resolve));
      await proxy?.close().catch(() => undefined);
      await closed;
      guard?.close();
    }
  };
  // Dropped halfway, `run` rejects (its client is destroyed under it): that rejection is expected, and handled here.
  const running = run();
  running.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, REHEARSAL_LIMIT_MS).unref()));
  try {
    await Promise.race([running, limit, stop]);
  } catch {
    // A failed rehearsal costs the first request its warm-up, nothing more.
  } finally {
    over = true;
    clearTimeout(timer);
    client?.destroy().catch(() => undefined);
  }
  await running.catch(() => undefined); // its own `finally` closes what it opened
  return statuses;
}

function listen(server: Server): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

interface RehearsalRequest {
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

const SYSTEM = 'You are a coding agent. Use the tools to read and change files in the repository. Answer briefly.';
const USER = 'Rename `parseConfig` to `loadConfig` in src/config.ts and update its callers:\n```ts\nexport function parseConfig(text: string) {\n  return JSON.parse(text) as Config;\n}\n```';
const TOOL_SCHEMA = { type: 'object', properties: { path: { type: 'string', description: 'File to read' }, limit: { type: 'integer' } }, required: ['path'] };

/** What agents send first: a chat completion plain and streamed (OpenAI SDKs), a streamed Messages call with tools (Claude Code). */
function rehearsalRequests(dummyKey: string): RehearsalRequest[] {
  const chat = {
    model: 'gpt-4.1',
    messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: USER }],
    tools: [{ type: 'function', function: { name: 'read_file', description: 'Reads a file', parameters: TOOL_SCHEMA } }],
  };
  return [
    { path: '/v1/chat/completions', headers: { authorization: `Bearer ${dummyKey}` }, body: chat },
    { path: '/v1/chat/completions', headers: { authorization: `Bearer ${dummyKey}` }, body: { ...chat, stream: true } },
    {
      path: '/anthropic/v1/messages',
      headers: { 'x-api-key': dummyKey, 'anthropic-version': '2023-06-01' },
      body: { model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, system: SYSTEM, messages: [{ role: 'user', content: USER }], tools: [{ name: 'read_file', description: 'Reads a file', input_schema: TOOL_SCHEMA }] },
    },
  ];
}

/** The made-up upstream: answers each rehearsal request in the shape its API documents. */
function answer(req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () => {
    const streamed = Buffer.concat(parts).includes('"stream":true');
    if (req.url?.startsWith('/v1/messages')) return sse(res, ANTHROPIC_EVENTS);
    if (streamed) return sse(res, CHAT_EVENTS);
    const body = JSON.stringify(CHAT_COMPLETION);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

function sse(res: ServerResponse, events: string[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const event of events) res.write(event);
  res.end();
}

const TOOL_CALL = { id: 'call_rehearsal', type: 'function', function: { name: 'read_file', arguments: '{"path":"src/config.ts"}' } };
const CHAT_COMPLETION = {
  id: 'chatcmpl-rehearsal', object: 'chat.completion', created: 0, model: 'gpt-4.1',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Reading the file first.', tool_calls: [TOOL_CALL] }, finish_reason: 'tool_calls' }],
  usage: { prompt_tokens: 120, completion_tokens: 20, total_tokens: 140 },
};
const chunk = (choices: unknown[], usage: unknown = undefined): string => `data: ${JSON.stringify({ id: 'chatcmpl-rehearsal', object: 'chat.completion.chunk', created: 0, model: 'gpt-4.1', choices, ...(usage ? { usage } : {}) })}\n\n`;
const CHAT_EVENTS = [
  chunk([{ index: 0, delta: { role: 'assistant', content: 'Reading ' }, finish_reason: null }]),
  chunk([{ index: 0, delta: { content: 'the file first.' }, finish_reason: null }]),
  chunk([{ index: 0, delta: { tool_calls: [{ index: 0, ...TOOL_CALL }] }, finish_reason: null }]),
  chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]),
  chunk([], { prompt_tokens: 120, completion_tokens: 20, total_tokens: 140 }),
  'data: [DONE]\n\n',
];
const event = (type: string, data: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const ANTHROPIC_EVENTS = [
  event('message_start', { message: { id: 'msg_rehearsal', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, usage: { input_tokens: 120, output_tokens: 1 } } }),
  event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Reading the file first.' } }),
  event('content_block_stop', { index: 0 }),
  event('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_rehearsal', name: 'read_file', input: {} } }),
  event('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"path":"src/config.ts"}' } }),
  event('content_block_stop', { index: 1 }),
  event('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 20 } }),
  event('message_stop', {}),
];
