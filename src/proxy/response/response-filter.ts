// What the agent receives from the model, made safe: secrets masked (also when split across stream
// events, without moving text between them) and, when the policy has response rules, tool calls held
// until decided. Never throws: an internal error refuses the answer (fail closed) with code
// guardrun_filter_error, and an answer guardrun cannot classify with certainty with
// guardrun_unclassifiable_response.
import { extractToolCalls } from '../../policy/extract.js';
import type { Scanner } from '../../secrets/scan.js';
import type { ProxyError } from '../error-response.js';
import { createAnthropicStream } from './stream-anthropic.js';
import { createChatStream } from './stream-chat.js';
import { parseEvent, SseSplitter } from './sse.js';
import { createOtherStream, UNCLASSIFIABLE_CODE, UnclassifiableResponse, type StreamContext, type StreamHandler } from './stream-handler.js';
import { maskJsonText, withoutBom } from './stream-json.js';
import { maskEventsForRecord } from './record-mask.js';
import type { DecideToolCalls } from './stream-outbox.js';
import { createResponsesStream, REALTIME_DIALECT } from './stream-responses.js';
import type { Exchange, ResponseFilter } from '../types.js';

export interface ResponseFilterOptions {
  exchange: Exchange;
  /** What to mask in model output: real keys + dummy key always; + built-in/policy detectors when mask_responses. */
  scanner: Scanner;
  /** Decides on the complete tool calls of one response (or one held call); undefined when the policy has no response rules. */
  decideToolCalls?: DecideToolCalls;
  /** What the session file masks (every secret the session knows); default `scanner`. */
  recordScanner?: Scanner;
}

export const FILTER_ERROR_CODE = 'guardrun_filter_error';

/** Which stream handler reads an endpoint's events. */
export function streamKind(provider: Exchange['provider'], apiPath: string): 'chat' | 'responses' | 'realtime' | 'anthropic' | 'other' {
  const path = apiPath.replace(/\/+$/, '');
  if (provider === 'anthropic') return path.endsWith('/messages') ? 'anthropic' : 'other';
  if (path.endsWith('/chat/completions') || path.endsWith('/completions')) return 'chat';
  if (path.endsWith('/responses')) return 'responses';
  if (path.endsWith('/realtime')) return 'realtime';
  return 'other';
}

function openStream(o: ResponseFilterOptions): StreamHandler {
  const ctx: StreamContext = { provider: o.exchange.provider, scanner: o.scanner, decide: o.decideToolCalls, websocket: o.exchange.transport === 'websocket' };
  switch (streamKind(o.exchange.provider, o.exchange.apiPath)) {
    case 'chat':
      return createChatStream(ctx);
    case 'responses':
      return createResponsesStream(ctx);
    case 'realtime':
      return createResponsesStream(ctx, REALTIME_DIALECT);
    case 'anthropic':
      return createAnthropicStream(ctx);
    default:
      return createOtherStream(ctx);
  }
}

/** A JSON body's parsed value (read as the clients read it: a leading byte-order mark dropped), or undefined. */
function parseJson(text: string): unknown {
  const body = withoutBom(text);
  if (!/^\s*[[{]/.test(body)) return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** Server-sent events (the first line a field or a comment): what a stream request's client reads as a stream, whatever the label. */
function looksLikeSse(text: string): boolean {
  const first = /^[ \t]*(?:\r\n|\r|\n)*([^\r\n]*)/.exec(withoutBom(text))?.[1] ?? '';
  return /^(?:data|event|id|retry)(?::|$)/.test(first) || first.startsWith(':');
}

export function createResponseFilter(o: ResponseFilterOptions): ResponseFilter {
  let stream: StreamHandler | undefined;
  let bodyDenied = false;
  const failure = (error: unknown): ProxyError => {
    const why = error instanceof Error ? error.message : String(error);
    const unclassifiable = error instanceof UnclassifiableResponse;
    const code = unclassifiable ? UNCLASSIFIABLE_CODE : FILTER_ERROR_CODE;
    // The message may quote model output (a JSON parse error does): mask it like everything else.
    let message = unclassifiable
      ? `guardrun withheld the rest of this answer: ${why}, so it cannot classify it with certainty`
      : `guardrun could not check this response, so it was withheld: ${why}`;
    try {
      message = o.scanner.mask(message).text;
    } catch {
      message = 'guardrun could not check this response, so it was withheld';
    }
    return { status: 403, code, message };
  };
  /** A whole body that is a stream (SSE under another label): every event through a stream handler of its own. */
  const streamBody = async (text: string): Promise<{ text: string } | { error: ProxyError }> => {
    const s = openStream(o);
    const splitter = new SseSplitter();
    const events = splitter.push(Buffer.from(text, 'utf8'));
    const rest = splitter.rest();
    if (rest !== '') events.push(parseEvent(rest));
    let out = '';
    try {
      for (const e of events) {
        if (s.outbox.closed) break;
        await s.event(e);
        out += s.outbox.take().join('');
      }
      await s.end();
    } catch (error) {
      s.outbox.fail(failure(error));
    }
    out += s.outbox.take().join('');
    if (!s.outbox.denied) return { text: out };
    bodyDenied = true;
    return { error: s.outbox.error ?? failure(new Error('the answer was refused')) };
  };
  const run = async (step: (s: StreamHandler) => Promise<void>): Promise<string[]> => {
    const s = (stream ??= openStream(o));
    if (s.outbox.closed) return [];
    try {
      await step(s);
    } catch (error) {
      s.outbox.fail(failure(error));
    }
    return s.outbox.take();
  };

  return {
    get denied() {
      return bodyDenied || (stream?.outbox.denied ?? false);
    },
    get closed() {
      return stream?.outbox.closed ?? false;
    },
    get holding() {
      return (stream?.outbox.holding ?? false) || (stream?.waiting ?? 0) > 0;
    },
    event: (e) => run((s) => s.event(e)),
    end: () => run((s) => s.end()),
    async forRecord(texts) {
      const scanner = o.recordScanner ?? o.scanner;
      // Lines other than data (comments, `id:`, `event:`) and anything the handler left are masked as text after.
      const finish = (out: string[]): string[] => out.map((t) => scanner.mask(t).text);
      try {
        // The API's own handler, judging nothing: the file masks what the agent's stream masks.
        const s = openStream({ ...o, scanner, decideToolCalls: undefined });
        const out: string[] = [];
        for (const text of texts) {
          await s.event(parseEvent(text));
          out.push(...s.outbox.take());
        }
        await s.end();
        out.push(...s.outbox.take());
        if (out.length === texts.length && !s.outbox.closed) return finish(out);
      } catch {
        // a shape the handler refuses: masked field by field below
      }
      try {
        return finish(maskEventsForRecord(texts, scanner));
      } catch {
        return finish([...texts]);
      }
    },
    async body(text) {
      try {
        // A stream answer labelled as something else: the client still reads it as a stream.
        if (looksLikeSse(text) && parseJson(text) === undefined) return await streamBody(text);
        if (o.decideToolCalls) {
          const json = parseJson(text);
          const calls = json === undefined ? [] : extractToolCalls(json);
          if (calls.length > 0) {
            const verdict = await o.decideToolCalls(calls);
            if (verdict.allow !== true) {
              bodyDenied = true;
              return { error: verdict.error };
            }
          }
        }
        return { text: maskJsonText(text, o.scanner) };
      } catch (error) {
        bodyDenied = true;
        return { error: failure(error) };
      }
    },
  };
}

