// What each client event of a WebSocket connection is to guardrun: a request (checked by the guard like an HTTP
// request, then forwarded or refused), a control event (carries no text for the model: forwarded, recorded),
// or something guardrun cannot guard (refused visibly, never forwarded). Unknown event types fail closed.
import type { ProxyError } from '../error-response.js';
import type { ClientRef, WsProtocol } from './error-event.js';
import { isObj } from '../../json.js';

type Obj = Record<string, unknown>;

export type ClientEvent =
  | { kind: 'request'; type: string; json: Obj; ref: ClientRef; generating: boolean }
  | { kind: 'control'; type: string; ref: ClientRef }
  | { kind: 'refuse'; error: ProxyError; ref: ClientRef; omitted?: string };

/**
 * Responses WebSocket mode (OpenAI's WebSocket-mode guide; Codex's codex-api `common.rs`): `response.create`
 * carries a Responses body; `response.processed` (Codex) only acknowledges a response id.
 */
const RESPONSES_CONTROL = new Set(['response.processed', 'response.cancel']);

/**
 * Realtime client events (OpenAI Realtime API reference). These carry text or tools for the model and are
 * checked; `response.create` generates. `input_audio_buffer.append` (and audio inside an item) cannot be
 * inspected; the control events below carry only ids and commands.
 */
const REALTIME_REQUESTS = new Set(['session.update', 'conversation.item.create', 'response.create']);
const REALTIME_CONTROL = new Set([
  'input_audio_buffer.commit', 'input_audio_buffer.clear', 'output_audio_buffer.clear', 'response.cancel',
  'conversation.item.truncate', 'conversation.item.delete', 'conversation.item.retrieve',
]);

export const REFUSED_EVENT_CODE = 'guardrun_ws_event_refused';
export const AUDIO_REFUSED_CODE = 'guardrun_ws_audio_refused';

function refuse(message: string, ref: ClientRef, code = REFUSED_EVENT_CODE, omitted?: string): ClientEvent {
  return { kind: 'refuse', error: { status: 400, code, message }, ref, omitted };
}

/** Audio parts (`input_audio`, `audio` with data) inside a Realtime item: not text, not inspectable. */
function hasAudio(item: unknown): boolean {
  if (!isObj(item) || !Array.isArray(item.content)) return false;
  return item.content.some((p) => isObj(p) && (p.type === 'input_audio' || (p.type === 'audio' && typeof p.audio === 'string')));
}

/** Reads one text message from the agent. */
export function classifyClientEvent(protocol: WsProtocol, text: string): ClientEvent {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return refuse('guardrun passes only JSON client events on this WebSocket; this message is not JSON, so it was not sent', {});
  }
  if (!isObj(json) || typeof json.type !== 'string') return refuse('guardrun passes only client events with a "type"; this message has none, so it was not sent', {});
  const type = json.type;
  const ref: ClientRef = {
    eventId: typeof json.event_id === 'string' ? json.event_id : undefined,
    streamId: typeof json.stream_id === 'string' ? json.stream_id : undefined,
  };
  const unknown = (): ClientEvent => refuse(`guardrun does not know the client event type "${type.slice(0, 80)}" on ${protocol === 'realtime' ? '/v1/realtime' : '/v1/responses'}, so it cannot check it; it was not sent`, ref);
  if (protocol === 'responses') {
    if (type === 'response.create') return { kind: 'request', type, json, ref, generating: true };
    return RESPONSES_CONTROL.has(type) ? { kind: 'control', type, ref } : unknown();
  }
  const responseInput = isObj(json.response) && Array.isArray(json.response.input) ? json.response.input : [];
  if (type === 'input_audio_buffer.append' || hasAudio(json.item) || responseInput.some(hasAudio)) {
    return refuse('guardrun cannot inspect audio, so it does not send it to the model; send text instead (conversation.item.create with input_text)', ref, AUDIO_REFUSED_CODE, 'audio');
  }
  if (REALTIME_REQUESTS.has(type)) return { kind: 'request', type, json, ref, generating: type === 'response.create' };
  return REALTIME_CONTROL.has(type) ? { kind: 'control', type, ref } : unknown();
}
