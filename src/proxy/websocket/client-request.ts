// A client event that carries a request (`response.create`, Realtime's `session.update`, …): it becomes an
// Exchange, is recorded and checked by the guard exactly as an HTTP request is, then forwarded (redacted if
// the policy says so) or refused with an error event. Every exchange ends with one `response` line and one
// `guard.finish`, whatever happens.
import { jsonShape, MAX_JSON_DEPTH } from '../duplicate-keys.js';
import type { ProxyError } from '../error-response.js';
import { recordGuardrunAnswer, recordRequest } from '../record-exchange.js';
import { WS_REFUSAL_STATUS } from '../response/stream-error-event.js';
import type { Exchange, Guard } from '../types.js';
import type { Recorder } from '../../recording/recorder.js';
import type { ClientEvent } from './client-events.js';
import { wsErrorEvent, type WsProtocol } from './error-event.js';
import type { ServerRelay } from './server-events.js';
import { WsExchange } from './ws-exchange.js';

export interface RequestSide {
  protocol: WsProtocol;
  connection: number;
  /** The upgrade's path as the agent sent it (with query), its API path and `WS /path` endpoint. */
  path: string;
  apiPath: string;
  endpoint: string;
  guard: Guard;
  recorder: Recorder;
  relay: ServerRelay;
  source: 'upstream' | 'replay';
  nextId(): number;
  /** The connection's model (Realtime: from the upgrade's `?model=` or a later `session.update`). */
  model: string | undefined;
  forward(text: string): void;
  reply(text: string): void;
  /** The connection is closing: nothing can be forwarded any more. */
  gone(): boolean;
}

type RequestEvent = Extract<ClientEvent, { kind: 'request' }>;

export async function handleClientRequest(side: RequestSide, event: RequestEvent, text: string): Promise<void> {
  const ex = toExchange(side, event, text);
  const shape = jsonShape(text, event.json);
  const duplicateKeys = shape.duplicateKeys || shape.tooDeep;
  if (duplicateKeys) ex.json = undefined; // recorded (and masked) as text: its parsed form hides the repeated values
  recordRequest(side.recorder, side.guard, ex, {});
  const state: EndState = { ended: false };
  try {
    if (shape.tooDeep) {
      return refuse(side, ex, event, state, { status: 400, code: 'guardrun_json_too_deep', message: `guardrun refuses a JSON event nested more than ${MAX_JSON_DEPTH} levels deep` });
    }
    if (duplicateKeys) {
      return refuse(side, ex, event, state, { status: 400, code: 'guardrun_duplicate_json_keys', message: 'guardrun refuses a JSON event that repeats a key: its checks and the upstream could read different values' });
    }
    await decideAndForward(side, event, text, ex, state);
  } catch (error) {
    // A bug must still end the exchange once (its record, the guard's totals); the connection then fails closed.
    const internal: ProxyError = { status: 500, code: 'guardrun_internal', message: `guardrun internal error: ${(error as Error)?.name ?? 'Error'}` };
    if (state.exchange) state.exchange.finish({ status: 500, error: internal });
    else if (!state.ended) end(side, ex, state, internal, false);
    throw error;
  }
}

/** Whether the exchange was ended (recorded and finished), or handed to a WsExchange that will end it. */
interface EndState {
  ended: boolean;
  exchange?: WsExchange;
}

async function decideAndForward(side: RequestSide, event: RequestEvent, text: string, ex: Exchange, state: EndState): Promise<void> {
  const verdict = await side.guard.checkRequest(ex);
  ex.guardMs += performance.now() - ex.startedMs - side.guard.humanMs(ex);
  if (side.gone()) {
    // Gone while we decided: nothing to forward, nobody to answer.
    return end(side, ex, state, { status: 499, code: 'guardrun_client_closed', message: 'the WebSocket closed before the event was sent' }, !verdict.allow);
  }
  if (!verdict.allow) return refuse(side, ex, event, state, verdict.error);
  const session = event.type === 'session.update' ? event.json.session : undefined;
  if (isObj(session) && typeof session.model === 'string') side.model = session.model;
  const x = new WsExchange(ex, side.guard, side.recorder, side.source, event.ref.streamId ?? '', event.generating, event.ref);
  state.exchange = x;
  if (event.generating) side.relay.expect(x);
  side.forward(verdict.body ? verdict.body.toString('utf8') : text);
  // Realtime events that only change the session or the conversation end when sent; their acknowledgements
  // are events of the connection.
  if (!event.generating) x.finish({ status: 200 });
}

/** guardrun's own answer: the `response` line and `guard.finish`, once. */
function end(side: RequestSide, ex: Exchange, state: EndState, error: ProxyError, denied: boolean): void {
  state.ended = true;
  recordGuardrunAnswer(side.recorder, ex, error);
  void side.guard.finish(ex, { status: error.status, usage: undefined, forwarded: false, denied });
}

/** Answers with an error event (status WS_REFUSAL_STATUS, which is also what is recorded: what the agent got). */
function refuse(side: RequestSide, ex: Exchange, event: RequestEvent, state: EndState, error: ProxyError): void {
  const sent = { ...error, status: WS_REFUSAL_STATUS };
  end(side, ex, state, sent, true);
  side.reply(wsErrorEvent(side.protocol, sent, event.ref));
}

function toExchange(side: RequestSide, event: RequestEvent, text: string): Exchange {
  const session = event.json.session;
  const model = side.protocol === 'responses'
    ? (typeof event.json.model === 'string' ? event.json.model : undefined)
    : isObj(session) && typeof session.model === 'string' ? session.model : side.model;
  return {
    id: side.nextId(),
    provider: 'openai',
    method: 'WS',
    path: side.path,
    apiPath: side.apiPath,
    endpoint: side.endpoint,
    model,
    stream: true,
    contentType: 'application/json',
    body: Buffer.from(text, 'utf8'),
    json: event.json,
    text,
    startedMs: performance.now(),
    guardMs: 0,
    transport: 'websocket',
    connection: side.connection,
  };
}

function isObj(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
