// What each API's stream handler is given and offers; the core they share (events through the event
// masker, then the outbox); and the handler for streams of other endpoints.
import type { Provider } from '../../providers.js';
import type { Scanner } from '../../secrets/scan.js';
import type { ProxyError } from '../error-response.js';
import { EventMasker, type Changed, type EventOptions, type Out, type Piece } from './event-masker.js';
import { pathKey, type ValueEdit } from './json-edit.js';
import { UnclassifiableResponse } from './unclassifiable.js';
import { logprobFollow } from './logprobs.js';
import { anthropicErrorEvent, chatErrorEvent } from './stream-error-event.js';
import { isObj, jsonMaskEdits, maskWholeEvent, type Obj } from './stream-json.js';
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
  /** Events waiting for a secret that may be forming across them to settle. */
  readonly waiting: number;
  event(e: SseEvent): Promise<void>;
  end(): Promise<void>;
}

export { UNCLASSIFIABLE_CODE, UnclassifiableResponse } from './unclassifiable.js';

/** The event kind: the data's `type` (what the SDKs dispatch on), which an `event:` name must not contradict. */
export function eventKind(e: SseEvent, data: Obj | undefined): string {
  const type = typeof data?.type === 'string' ? data.type : undefined;
  if (type !== undefined && e.event !== undefined && e.event !== type) {
    throw new UnclassifiableResponse(`the upstream sent an event named "${e.event}" whose data is of type "${type}"`);
  }
  return type ?? e.event ?? '';
}

/** Parsed data when it is a JSON object (a byte-order mark or escaped keys are read as a client reads them). */
export function parseObject(data: string): Obj | undefined {
  const text = data.startsWith('\uFEFF') ? data.slice(1) : data;
  if (!/^\s*\{/.test(text)) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isObj(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The follow-up edits of a delta event's data: logprobs consistent with masked tokens. */
export function deltaFollow(data: Obj): (changed: Changed[]) => ValueEdit[] {
  return logprobFollow(data);
}

/** OpenAI's `obfuscation` padding of an event, if it has one (resized when the event is rewritten). */
export function paddingOf(data: Obj | undefined): EventOptions['padding'] {
  return typeof data?.obfuscation === 'string' ? { path: ['obfuscation'], value: data.obfuscation } : undefined;
}

/** The event masker and the outbox of one stream, in that order. */
export class StreamCore {
  readonly outbox: StreamOutbox;
  readonly masker: EventMasker;

  constructor(
    private readonly ctx: StreamContext,
    errorEvent: (error: ProxyError) => string | string[],
  ) {
    this.outbox = new StreamOutbox(ctx.decide, errorEvent);
    this.masker = new EventMasker(ctx.scanner);
  }

  /** An event with text pieces (masked across events); every other string in it is masked as a whole. */
  put(e: SseEvent, data: Obj | undefined, pieces: Piece[], follow?: (changed: Changed[]) => ValueEdit[]): void {
    let edits: ValueEdit[] = [];
    // Without escapes every string stands in the raw text as it is, where the last pass over each event the agent
    // gets (Guard.maskOutgoing) finds a whole secret in any field; with escapes, each string is read decoded here.
    if (data && e.data.includes('\\')) {
      const found = jsonMaskEdits(data, this.ctx.scanner, new Set(pieces.map((p) => pathKey(p.path))), false);
      if (found === undefined) throw new UnclassifiableResponse('the upstream sent a stream event with a secret written with escapes in a JSON key');
      edits = found;
    }
    this.out(this.masker.push(e, pieces, { edits, follow, padding: paddingOf(data) }));
  }

  /** An event that carries whole text (or none): masked as a unit, in its turn. */
  putWhole(e: SseEvent): void {
    const text = maskWholeEvent(e, this.ctx.scanner);
    this.out(this.masker.push(text === e.raw ? e : { ...e, raw: text }, []));
  }

  /** An event passed as it is (a thinking block's signature must reach the API again byte for byte), in its turn. */
  putRaw(e: SseEvent): void {
    this.out(this.masker.push(e, []));
  }

  /** Tool calls are held from here on (after the events before this point), while `stillPending()`. */
  hold(stillPending: () => boolean): void {
    if (!this.outbox.judging) return;
    this.out(this.masker.mark(() => stillPending() && this.outbox.hold()));
  }

  /** Ends one channel, also one that never carried text (more text on it is then refused). */
  close(channel: string): void {
    this.out(this.masker.close(channel));
  }

  /** Ends channels; what they held goes out. */
  end(match?: (channel: string) => boolean): void {
    this.out(this.masker.end(match));
  }

  private out(steps: Out[]): void {
    for (const step of steps) {
      if (typeof step === 'string') this.outbox.send(step);
      else step();
    }
  }
}

/** An endpoint whose events guardrun does not interpret: each event is masked as a whole; nothing is held. */
export function createOtherStream(ctx: StreamContext): StreamHandler {
  const core = new StreamCore(ctx, ctx.provider === 'anthropic' ? anthropicErrorEvent : chatErrorEvent);
  return {
    outbox: core.outbox,
    get waiting() {
      return core.masker.waiting;
    },
    async event(e) {
      core.putWhole(e);
    },
    async end() {},
  };
}
