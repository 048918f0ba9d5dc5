// The error event guardrun sends on a WebSocket when it refuses a client event (a denied request, an event it
// cannot inspect), in the shape each API's clients read:
// - Responses WebSocket mode: OpenAI's `{"type":"error","status":N,"error":{type,code,message,param}}`, with
//   status 400 whatever the refusal (WS_REFUSAL_STATUS: the one status Codex does not retry); the openai
//   SDK's ResponsesWS raises it as an error event. The top-level `code`/`message`/`param` repeat it as the
//   SSE `error` event has them.
// - Realtime: `{"type":"error","event_id":…,"error":{type,code,message,param,event_id}}`, `error.event_id`
//   naming the client event it answers (the openai SDK and the Agents SDK read `error.message`/`error.code`).
import { randomBytes } from 'node:crypto';
import { errorBody, type ProxyError } from '../error-response.js';
import { WS_REFUSAL_STATUS } from '../response/stream-error-event.js';

export type WsProtocol = 'responses' | 'realtime';

/** What the refused client event said about itself: Realtime's `event_id`, Responses' `stream_id`. */
export interface ClientRef {
  eventId?: string;
  streamId?: string;
}

/** The error event for a refused client event; `error.status` is replaced by WS_REFUSAL_STATUS. */
export function wsErrorEvent(protocol: WsProtocol, error: ProxyError, ref: ClientRef = {}): string {
  const shown = { ...error, status: WS_REFUSAL_STATUS };
  const nested = (JSON.parse(errorBody('openai', shown)) as { error: Record<string, unknown> }).error;
  if (protocol === 'realtime') {
    return JSON.stringify({ type: 'error', event_id: `event_guardrun_${randomBytes(6).toString('hex')}`, error: { ...nested, event_id: ref.eventId ?? null } });
  }
  return JSON.stringify({
    type: 'error',
    status: WS_REFUSAL_STATUS,
    code: error.code,
    message: error.message,
    param: null,
    error: nested,
    ...(ref.streamId !== undefined ? { stream_id: ref.streamId } : {}),
  });
}
