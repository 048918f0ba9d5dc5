// What the agent receives from the model, made safe: secrets masked (also when split across stream
// events) and, when the policy has response rules, tool calls held until decided. Never throws: an
// internal error refuses the answer (fail closed) with code guardrun_filter_error.
import { extractToolCalls } from '../../policy/extract.js';
import type { ToolCall } from '../../policy/types.js';
import type { Scanner } from '../../secrets/scan.js';
import type { ProxyError } from '../error-response.js';
import { createAnthropicStream } from './stream-anthropic.js';
import { createChatStream } from './stream-chat.js';
import { createOtherStream, type StreamContext, type StreamHandler } from './stream-handler.js';
import { maskJsonText } from './stream-json.js';
import type { DecideToolCalls } from './stream-outbox.js';
import { createResponsesStream, REALTIME_DIALECT } from './stream-responses.js';
import type { Exchange, ResponseFilter } from '../types.js';

export interface ResponseFilterOptions {
  exchange: Exchange;
  /** What to mask in model output: real keys + dummy key always; + built-in/policy detectors when mask_responses. */
  scanner: Scanner;
  /** Decides on the complete tool calls of one response (or one held call); undefined when the policy has no response rules. */
  decideToolCalls?: DecideToolCalls;
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

/** Tool calls in a JSON body; none when it is not JSON. */
function toolCallsOf(text: string): ToolCall[] {
  if (!/^\s*\{/.test(text)) return [];
  try {
    return extractToolCalls(JSON.parse(text));
  } catch {
    return [];
  }
}

export function createResponseFilter(o: ResponseFilterOptions): ResponseFilter {
  let stream: StreamHandler | undefined;
  let bodyDenied = false;
  const failure = (error: unknown): ProxyError => {
    const why = error instanceof Error ? error.message : String(error);
    // The message may quote model output (a JSON parse error does): mask it like everything else.
    let message = `guardrun could not check this response, so it was withheld: ${why}`;
    try {
      message = o.scanner.mask(message).text;
    } catch {
      message = 'guardrun could not check this response, so it was withheld';
    }
    return { status: 403, code: FILTER_ERROR_CODE, message };
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
      return stream?.outbox.holding ?? false;
    },
    event: (e) => run((s) => s.event(e)),
    end: () => run((s) => s.end()),
    async body(text) {
      try {
        if (o.decideToolCalls) {
          const calls = toolCallsOf(text);
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
