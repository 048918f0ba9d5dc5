// What each API's stream handler is given and offers; and the handler for streams of other endpoints.
import type { Provider } from '../../providers.js';
import type { Scanner } from '../../secrets/scan.js';
import { anthropicErrorEvent, chatErrorEvent } from './stream-error-event.js';
import { maskWholeEvent } from './stream-json.js';
import { StreamOutbox, type DecideToolCalls } from './stream-outbox.js';
import type { SseEvent } from './sse.js';

export interface StreamContext {
  provider: Provider;
  scanner: Scanner;
  decide?: DecideToolCalls;
  /** The events come over a WebSocket (each event one message), not an HTTP stream. */
  websocket?: boolean;
}

/** Takes events in; what goes out is in `outbox` (the filter takes it after each call). */
export interface StreamHandler {
  readonly outbox: StreamOutbox;
  event(e: SseEvent): Promise<void>;
  end(): Promise<void>;
}

/** An endpoint whose events guardrun does not interpret: each event is masked as a whole; nothing is held. */
export function createOtherStream(ctx: StreamContext): StreamHandler {
  const outbox = new StreamOutbox(undefined, ctx.provider === 'anthropic' ? anthropicErrorEvent : chatErrorEvent);
  return {
    outbox,
    async event(e) {
      outbox.send(maskWholeEvent(e, ctx.scanner));
    },
    async end() {},
  };
}
