// The upstream's messages on their way to the agent. Each server event is matched to the exchange it answers
// and passes that exchange's response filter (the one SSE streams use: masking across events, tool calls held
// until complete and decided); events of no exchange are masked and passed on, but wait behind held tool calls
// so nothing overtakes them. Matching:
// - Responses WebSocket mode: responses run one after another on each `stream_id` lane (none: one lane), so
//   an event belongs to the oldest open exchange of its lane; a final event (`response.completed`, …) ends it,
//   and an `error` before `response.created` is the refusal of that request.
// - Realtime: `response.created` binds a response id to the oldest `response.create` sent; events carrying
//   that id (`response_id`, `response.id`) belong to it, and so do id-less events while it runs;
//   `response.done` ends it; an `error` naming a pending client event's `event_id` ends that one. A response
//   no checked `response.create` asked for (it would take server-side voice detection, and audio is refused)
//   cannot be guarded: its events are dropped, and the agent gets one error event.
import { parseEvent, type SseEvent } from '../response/sse.js';
import { realtimeErrorEvent } from '../response/stream-error-event.js';
import { RESPONSES_FINAL, REALTIME_FINAL } from '../response/stream-responses.js';
import type { Guard } from '../types.js';
import type { WsProtocol } from './error-event.js';
import type { WsExchange } from './ws-exchange.js';
import { isObj } from '../../json.js';

type Obj = Record<string, unknown>;

/** How long a refused response's remaining events are read for its usage before it is recorded without. */
export const DRAIN_LIMIT_MS = 30_000;

export interface ServerSide {
  protocol: WsProtocol;
  guard: Guard;
  /** Sends a text to the agent. */
  send(text: string): void;
  /** Records a server event that belongs to no exchange (`withheld`: dropped because it concerns a refused tool call). */
  recordLoose(text: string, withheld: boolean): void;
}

export class ServerRelay {
  private readonly lanes = new Map<string, WsExchange[]>();
  private readonly unbound: WsExchange[] = [];
  private readonly byResponse = new Map<string, WsExchange>();
  private readonly waiting: string[] = [];
  private readonly withheld = new Set<string>();
  /** Realtime responses nobody asked for through guardrun: not guarded, so not passed on. */
  private readonly unrequested = new Set<string>();
  private readonly final: ReadonlySet<string>;

  constructor(private readonly o: ServerSide) {
    this.final = o.protocol === 'realtime' ? REALTIME_FINAL : RESPONSES_FINAL;
  }

  /** An exchange whose server events are on their way (registered before it is forwarded). */
  expect(x: WsExchange): void {
    if (this.o.protocol === 'realtime') this.unbound.push(x);
    else this.lanes.set(x.lane, [...(this.lanes.get(x.lane) ?? []), x]);
  }

  /** Exchanges still open (forwarded, not finished). */
  open(): WsExchange[] {
    return [...new Set([...[...this.lanes.values()].flat(), ...this.unbound, ...this.byResponse.values()])].filter((x) => !x.finished);
  }

  /** One text message from the upstream. */
  async message(text: string): Promise<void> {
    const event = parseObject(text);
    if (event && this.isUnrequested(event)) return this.o.recordLoose(text, true);
    const x = event ? this.owner(event) : undefined;
    if (x) await this.deliver(x, text, event!);
    else this.loose(text, event);
    if (!this.holding()) this.flushWaiting();
  }

  /** A Realtime event of a response no checked `response.create` asked for (the first one starts the refusal). */
  private isUnrequested(event: Obj): boolean {
    if (this.o.protocol !== 'realtime') return false;
    const id = responseIdOf(event);
    if (id === undefined) return false;
    if (event.type === 'response.created' && this.unbound.length === 0 && !this.byResponse.has(id)) {
      this.unrequested.add(id);
      const error = { status: 403, code: 'guardrun_ws_unrequested_response', message: 'the upstream started a response that no checked response.create asked for; guardrun withheld it' };
      this.o.send(parseEvent(realtimeErrorEvent(error)).data);
    }
    return this.unrequested.has(id);
  }

  private owner(event: Obj): WsExchange | undefined {
    const type = typeof event.type === 'string' ? event.type : '';
    if (this.o.protocol === 'responses') {
      const lane = typeof event.stream_id === 'string' ? event.stream_id : '';
      return this.lanes.get(lane)?.[0];
    }
    const id = responseIdOf(event);
    if (type === 'response.created' && id !== undefined && !this.byResponse.has(id)) {
      const x = this.unbound.shift();
      if (x) {
        x.responseId = id;
        this.byResponse.set(id, x);
      }
      return x;
    }
    if (id !== undefined) return this.byResponse.get(id);
    if (type === 'error') {
      const about = isObj(event.error) ? event.error.event_id : undefined;
      const at = this.unbound.findIndex((x) => x.ref.eventId !== undefined && x.ref.eventId === about);
      return at === -1 ? undefined : this.unbound.splice(at, 1)[0];
    }
    return [...this.byResponse.values()][0]; // id-less events while a response runs
  }

  private async deliver(x: WsExchange, text: string, event: Obj): Promise<void> {
    const type = typeof event.type === 'string' ? event.type : '';
    const t = x.arrived();
    x.usage.onEvent(undefined, text);
    x.record.upstreamEvent(text, t);
    if (type === 'response.created') x.started = true;
    const item = isObj(event.item) ? event.item : undefined;
    if (typeof item?.id === 'string') x.itemIds.add(item.id);
    // An error instead of a response: the upstream refused the request.
    const refusal = type === 'error' && !x.started;
    const last = refusal || this.final.has(type);
    if (!x.draining && x.filter) {
      await this.emit(x, await x.filter.event(toSse(text, x.originals)), t);
      if (x.filter.closed) this.refused(x);
      else if (last) await this.emit(x, await x.filter.end(), t);
    }
    if (!last) return;
    this.remove(x);
    clearTimeout(x.drainTimer);
    x.finish({ status: refusal ? errorStatus(event) : 200 });
  }

  /** A tool call was refused: drop what waits about it, read the rest of the response for its usage (bounded). */
  private refused(x: WsExchange): void {
    if (x.draining) return;
    x.draining = true;
    for (const id of x.itemIds) this.withheld.add(id);
    // Recorded then with the usage seen so far; its later events are still dropped until its final one.
    x.drainTimer = setTimeout(() => x.finish({ status: 200 }), DRAIN_LIMIT_MS);
    x.drainTimer.unref();
  }

  private async emit(x: WsExchange, texts: string[], t: number): Promise<void> {
    for (const out of texts) {
      const message = this.o.guard.maskOutgoing(fromSse(out, x.originals));
      x.record.agentEvent(message, t);
      this.o.send(message);
    }
  }

  private loose(text: string, event: Obj | undefined): void {
    if (event && this.concernsWithheld(event)) return this.o.recordLoose(text, true);
    if (this.holding()) this.waiting.push(text);
    else this.passLoose(text);
  }

  private passLoose(text: string): void {
    const message = this.o.guard.maskOutgoing(text);
    this.o.recordLoose(message, false);
    this.o.send(message);
  }

  private flushWaiting(): void {
    for (const text of this.waiting.splice(0)) {
      const event = parseObject(text);
      if (event && this.concernsWithheld(event)) this.o.recordLoose(text, true);
      else this.passLoose(text);
    }
  }

  private holding(): boolean {
    return this.open().some((x) => x.filter?.holding === true);
  }

  /** The event is about an item of a refused response (Realtime's `conversation.item.*` events). */
  private concernsWithheld(event: Obj): boolean {
    if (this.withheld.size === 0) return false;
    const itemId = isObj(event.item) ? event.item.id : undefined;
    return [itemId, event.item_id].some((id) => typeof id === 'string' && this.withheld.has(id));
  }

  private remove(x: WsExchange): void {
    const lane = this.lanes.get(x.lane);
    if (lane && lane[0] === x) lane.shift();
    if (x.responseId !== undefined) this.byResponse.delete(x.responseId);
    const at = this.unbound.indexOf(x);
    if (at !== -1) this.unbound.splice(at, 1);
  }
}

/** Realtime: the response an event is about (`response_id`, or the `response` it carries). */
function responseIdOf(event: Obj): string | undefined {
  if (typeof event.response_id === 'string') return event.response_id;
  return isObj(event.response) && typeof event.response.id === 'string' ? event.response.id : undefined;
}

function errorStatus(event: Obj): number {
  const status = typeof event.status === 'number' ? event.status : typeof event.status_code === 'number' ? event.status_code : undefined;
  return status !== undefined && status >= 400 && status <= 599 ? status : 400;
}

/** A message as the SSE event the response filter reads (its data is the message, unchanged). */
function toSse(message: string, originals: Map<string, string>): SseEvent {
  // Line breaks (only JSON whitespace can hold them) each end a data line, as the SSE rules read them.
  const raw = `data: ${message.split(/\r\n|\r|\n/).join('\ndata: ')}\n\n`;
  originals.set(raw, message);
  return { raw, event: undefined, data: message };
}

/** The message a filtered event text stands for: the original when the filter passed it unchanged. */
function fromSse(text: string, originals: Map<string, string>): string {
  const original = originals.get(text);
  if (original === undefined) return parseEvent(text).data;
  originals.delete(text);
  return original;
}

function parseObject(text: string): Obj | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObj(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

