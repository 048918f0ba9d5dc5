// Test helper: real event sequences from the fake upstream, a scanner with a fake dummy key, and a
// driver that feeds a ResponseFilter the way relay.ts does. Not used by guardrun itself.
import { BUILTIN_DETECTORS, compileDetectors } from '../../secrets/detectors.js';
import { createScanner, type Scanner } from '../../secrets/scan.js';
import { parseEvent, SseSplitter, type SseEvent } from './sse.js';
import { isObj, type Obj } from './stream-json.js';
import type { Exchange, ResponseFilter } from '../types.js';

export type Api = 'chat' | 'responses' | 'anthropic';

export const TEST_DUMMY_KEY = 'sk-guardrun-dummy-test-fake-0000000000000000';

export function testScanner(): Scanner {
  return createScanner(compileDetectors({ exact: [{ id: 'dummy-key', value: TEST_DUMMY_KEY }], builtins: BUILTIN_DETECTORS }));
}

const API_PATH: Record<Api, string> = { chat: '/v1/chat/completions', responses: '/v1/responses', anthropic: '/v1/messages' };

export function testExchange(api: Api, stream = true): Exchange {
  const apiPath = API_PATH[api];
  const path = api === 'anthropic' ? `/anthropic${apiPath}` : apiPath;
  return {
    id: 1,
    provider: api === 'anthropic' ? 'anthropic' : 'openai',
    method: 'POST',
    path,
    apiPath,
    endpoint: `POST ${path}`,
    model: api === 'anthropic' ? 'claude-sonnet-4-5' : 'gpt-4.1-mini',
    stream,
    contentType: 'application/json',
    body: Buffer.alloc(0),
    json: undefined,
    text: undefined,
    startedMs: 0,
    guardMs: 0,
  };
}

function requestBody(api: Api, text: string): Obj {
  if (api === 'chat') return { model: 'gpt-4.1-mini', stream: true, messages: [{ role: 'user', content: text }] };
  if (api === 'responses') return { model: 'gpt-4.1-mini', stream: true, input: text };
  return { model: 'claude-sonnet-4-5', max_tokens: 256, stream: true, messages: [{ role: 'user', content: text }] };
}

/** The raw SSE events the fake upstream streams for a user text (its [[markers]] script the reply). */
export async function captureEvents(upstreamUrl: string, api: Api, userText: string): Promise<SseEvent[]> {
  const res = await fetch(upstreamUrl + API_PATH[api], {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(requestBody(api, userText)),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.headers.get('content-type')?.includes('text/event-stream')) throw new Error(`not a stream: ${res.status}`);
  const splitter = new SseSplitter();
  const events = splitter.push(Buffer.from(await res.text(), 'utf8'));
  const rest = splitter.rest();
  if (rest.trim() !== '') events.push(parseEvent(rest));
  return events;
}

export interface Fed {
  /** What the filter returned for each event fed (stops after the filter closed, as the relay does). */
  perEvent: string[][];
  /** What end() returned (not called once closed). */
  tail: string[];
  /** Everything sent to the agent, in order. */
  out: string[];
}

export async function feed(filter: ResponseFilter, events: SseEvent[], onOut?: (out: string[]) => void): Promise<Fed> {
  const perEvent: string[][] = [];
  const out: string[] = [];
  for (const e of events) {
    const texts = await filter.event(e);
    perEvent.push(texts);
    out.push(...texts);
    onOut?.(out);
    if (filter.closed) return { perEvent, tail: [], out };
  }
  const tail = await filter.end();
  out.push(...tail);
  return { perEvent, tail, out };
}

/** Parsed JSON data of each event text (events without JSON data are skipped). */
export function dataOf(texts: string[]): Array<{ event: string | undefined; data: Obj }> {
  const out: Array<{ event: string | undefined; data: Obj }> = [];
  for (const text of texts) {
    const e = parseEvent(text);
    try {
      const data: unknown = JSON.parse(e.data);
      if (isObj(data)) out.push({ event: e.event, data });
    } catch {
      // [DONE] and the like
    }
  }
  return out;
}

/** The concatenated text deltas (`text`) or tool-call argument deltas (`args`) of a stream's events. */
export function deltaText(api: Api, texts: string[], kind: 'text' | 'args'): string {
  let out = '';
  for (const { event, data } of dataOf(texts)) {
    if (api === 'chat') {
      for (const choice of Array.isArray(data.choices) ? data.choices : []) {
        const delta = isObj(choice) && isObj(choice.delta) ? choice.delta : {};
        if (kind === 'text' && typeof delta.content === 'string') out += delta.content;
        if (kind === 'args' && Array.isArray(delta.tool_calls)) {
          for (const tc of delta.tool_calls) if (isObj(tc) && isObj(tc.function) && typeof tc.function.arguments === 'string') out += tc.function.arguments;
        }
      }
    } else if (api === 'responses') {
      const want = kind === 'text' ? 'response.output_text.delta' : 'response.function_call_arguments.delta';
      if ((event ?? data.type) === want && typeof data.delta === 'string') out += data.delta;
    } else if (event === 'content_block_delta' && isObj(data.delta)) {
      const value = kind === 'text' ? data.delta.text : data.delta.partial_json;
      if (typeof value === 'string') out += value;
    }
  }
  return out;
}
