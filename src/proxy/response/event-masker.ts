// Masking across stream events without moving text between them. Each event's text pieces (a delta's
// text, a tool call's arguments, logprob tokens…) go to their channel; the event waits, whole, only while
// a secret may still be forming in one of its channels (secrets/stream-masker.ts says how far each is
// settled; a candidate resolves within the longest detector's length or at the channel's end). Events
// leave in arrival order: unchanged (the upstream's exact text) when none of their pieces is masked, else
// rewritten in just the fields that change (stream-json.ts). A secret split over events is masked where
// it starts, and the pieces of it in later events become empty, so the concatenated text of each channel
// equals scanner.mask(the channel's whole text).
import { randomBytes } from 'node:crypto';
import type { Scanner } from '../../secrets/scan.js';
import { ChannelText, renderRange, touched, type Released } from '../../secrets/stream-masker.js';
import type { JsonPath, ValueEdit } from './json-edit.js';
import { JsonUnescaper } from './json-unescape.js';
import { UnclassifiableResponse } from './unclassifiable.js';
import type { SseEvent } from './sse.js';
import { editEvent } from './stream-json.js';

/** A piece of channel text carried by one event: a JSON string, or a JSON array of byte values (`bytes`). */
export interface Piece {
  channel: string;
  /** Where the value sits in the event's data. */
  path: JsonPath;
  /** The string; for `bytes`, the byte values as a latin1 string (one character a byte). */
  text: string;
  bytes?: boolean;
  /**
   * The text is JSON the client parses again (tool-call arguments): its escapes are decoded in a shadow of
   * the channel, and a secret spelled with them refuses the answer (UnclassifiableResponse).
   */
  json?: boolean;
}

/** A piece whose text changed: its new text (latin1 for bytes). */
export interface Changed {
  piece: Piece;
  text: string;
}

export interface EventOptions {
  /** Edits to make whatever the pieces say (other fields masked as a whole). */
  edits?: ValueEdit[];
  /** Further edits that follow from changed pieces (logprob alternatives and byte arrays). */
  follow?: (changed: Changed[]) => ValueEdit[];
  /**
   * A padding field (OpenAI's `obfuscation`: random characters that normalise event sizes): when the event
   * is rewritten, it is shortened or lengthened so the event keeps the byte size the upstream sent, as
   * nearly as the padding allows.
   */
  padding?: { path: JsonPath; value: string };
}

interface Placed extends Piece {
  start: number;
  end: number;
  /** For `json` pieces: where the decoded text sits in the channel's shadow. */
  shadowEnd?: number;
}

/** The decoded view of a JSON-text channel, and which of its characters escapes produced. */
interface Shadow {
  text: ChannelText;
  decoder: JsonUnescaper;
  escaped: number[];
}

interface Queued {
  event: SseEvent;
  pieces: Placed[];
  options: EventOptions;
  /** A step to take in turn instead of an event (a tool-call hold-back that starts here). */
  action?: () => void;
}

/** What leaves the masker: event texts, and steps to take between them. */
export type Out = string | (() => void);

/** The value a changed piece is written back as. */
export function pieceValue(piece: Piece, text: string): unknown {
  return piece.bytes ? [...Buffer.from(text, 'latin1')] : text;
}

export class EventMasker {
  private readonly channels = new Map<string, ChannelText>();
  private readonly shadows = new Map<string, Shadow>();
  private readonly queue: Queued[] = [];

  constructor(private readonly scanner: Scanner) {}

  /** Events waiting for a channel to settle. */
  get waiting(): number {
    return this.queue.length;
  }

  /** One event and its pieces in; the event texts that can go out now, in order (may be none, or several). */
  push(event: SseEvent, pieces: readonly Piece[], options: EventOptions = {}): Out[] {
    const placed: Placed[] = [];
    for (const p of pieces) {
      if (p.text === '') continue;
      const channel = this.channel(p.channel);
      const start = channel.length;
      channel.append(p.text);
      placed.push({ ...p, start, end: channel.length, shadowEnd: p.json ? this.shadowPush(p) : undefined });
    }
    if (placed.length === 0 && this.queue.length === 0 && !options.edits?.length) return [event.raw];
    this.queue.push({ event, pieces: placed, options });
    return this.drain();
  }

  /** A step taken after the events queued so far have gone out (at once when none waits). */
  mark(action: () => void): Out[] {
    if (this.queue.length === 0) return [action];
    this.queue.push({ event: { raw: '', event: undefined, data: '' }, pieces: [], options: {}, action });
    return [];
  }

  /** Ends the channels `match` picks (no more text comes on them); returns what can go out now. */
  end(match: (channel: string) => boolean = () => true): Out[] {
    for (const [key, channel] of this.channels) if (match(key)) channel.end();
    for (const [key, shadow] of this.shadows) if (match(key)) shadow.text.end();
    return this.drain();
  }

  /** Ends one channel, creating it if it carried no text yet. */
  close(channel: string): Out[] {
    this.channel(channel).end();
    this.shadows.get(channel)?.text.end();
    return this.drain();
  }

  /** Adds a JSON piece's decoded text to its channel's shadow; returns the shadow's new end. */
  private shadowPush(p: Piece): number {
    let shadow = this.shadows.get(p.channel);
    if (!shadow) this.shadows.set(p.channel, (shadow = { text: new ChannelText(this.scanner), decoder: new JsonUnescaper(), escaped: [] }));
    const decoded = shadow.decoder.push(p.text);
    const start = shadow.text.length;
    shadow.text.append(decoded.text);
    for (const at of decoded.escaped) shadow.escaped.push(start + at);
    return shadow.text.length;
  }

  /** True once the channel has ended (more text on it would be an error). */
  ended(channel: string): boolean {
    return this.channels.get(channel)?.isEnded ?? false;
  }

  private channel(key: string): ChannelText {
    let c = this.channels.get(key);
    if (!c) this.channels.set(key, (c = new ChannelText(this.scanner)));
    return c;
  }

  private settled(p: Placed): boolean {
    return p.end <= this.channels.get(p.channel)!.settled && (p.shadowEnd === undefined || p.shadowEnd <= this.shadows.get(p.channel)!.text.settled);
  }

  private drain(): Out[] {
    let count = 0;
    while (count < this.queue.length && this.queue[count].pieces.every((p) => this.settled(p))) count++;
    if (count === 0) return [];
    count = this.noCutFindings(count);
    if (count === 0) return [];
    const going = this.queue.splice(0, count);
    if (this.shadows.size > 0) for (const [key, end] of lastEnds(going, true)) this.checkShadow(key, this.shadows.get(key)!.text.release(end));
    const released = new Map<string, Released>();
    for (const [key, end] of lastEnds(going)) released.set(key, this.channels.get(key)!.release(end));
    return going.map((q) => render(q, released));
  }

  /** A secret in the decoded view that escapes helped spell: the client would rebuild it, so the answer is refused. */
  private checkShadow(key: string, released: Released): void {
    const escaped = this.shadows.get(key)!.escaped;
    for (const f of released.findings) {
      const from = released.from + f.start;
      const to = released.from + f.end;
      if (escaped.some((at) => at >= from && at < to)) throw new UnclassifiableResponse('the upstream sent a secret spelled with JSON escapes inside tool-call arguments');
    }
    while (escaped.length > 0 && escaped[0] < released.from + released.text.length) escaped.shift();
  }

  /** Fewer events when releasing `count` would cut a finding in two (a secret must go out from where it starts). */
  private noCutFindings(count: number): number {
    for (let moved = true; moved && count > 0; ) {
      moved = false;
      for (const shadow of this.shadows.size > 0 ? [false, true] : [false]) {
        for (const [key, end] of lastEnds(this.queue.slice(0, count), shadow)) {
          const cut = (shadow ? this.shadows.get(key)!.text : this.channels.get(key)!).straddling(end);
          if (!cut) continue;
          const at = this.queue.findIndex((q) => q.pieces.some((p) => p.channel === key && (shadow ? (p.shadowEnd ?? 0) : p.end) > cut.matchStart));
          count = Math.min(count, at);
          moved = true;
        }
      }
    }
    return count;
  }
}

/** Per channel, the end of the last piece among these events (in the channel, or in its shadow). */
function lastEnds(events: readonly Queued[], shadow = false): Map<string, number> {
  const ends = new Map<string, number>();
  for (const q of events) {
    for (const p of q.pieces) {
      if (!shadow) ends.set(p.channel, p.end);
      else if (p.shadowEnd !== undefined) ends.set(p.channel, p.shadowEnd);
    }
  }
  return ends;
}

function render(q: Queued, released: ReadonlyMap<string, Released>): Out {
  if (q.action) return q.action;
  const changed: Changed[] = [];
  for (const p of q.pieces) {
    const r = released.get(p.channel)!;
    const start = p.start - r.from;
    const end = p.end - r.from;
    if (touched(r, start, end)) changed.push({ piece: p, text: renderRange(r, start, end) });
  }
  const edits = [...(q.options.edits ?? []), ...changed.map((c) => ({ path: c.piece.path, value: pieceValue(c.piece, c.text) }))];
  if (changed.length > 0 && q.options.follow) edits.push(...q.options.follow(changed));
  if (edits.length === 0) return q.event.raw;
  const raw = editEvent(q.event, edits);
  const padding = q.options.padding;
  if (!padding) return raw;
  const grown = Buffer.byteLength(raw) - Buffer.byteLength(q.event.raw);
  if (grown === 0) return raw;
  const value = grown > 0 ? padding.value.slice(0, Math.max(0, padding.value.length - grown)) : padding.value + randomPadding(-grown);
  return editEvent(q.event, [...edits, { path: padding.path, value }]);
}

const PADDING_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomPadding(length: number): string {
  let out = '';
  for (const byte of randomBytes(length)) out += PADDING_CHARS[byte % PADDING_CHARS.length];
  return out;
}

/**
 * Masks pieces that together make up whole texts (a complete body, or an event that repeats whole output):
 * each channel's text is masked as one, and the edits for the pieces that change are returned.
 */
export function maskPiecesOnce(scanner: Scanner, pieces: readonly Piece[], follow?: EventOptions['follow']): ValueEdit[] {
  const texts = new Map<string, string>();
  const placed: Placed[] = [];
  for (const p of pieces) {
    const before = texts.get(p.channel) ?? '';
    texts.set(p.channel, before + p.text);
    placed.push({ ...p, start: before.length, end: before.length + p.text.length });
  }
  const released = new Map<string, Released>();
  for (const [key, text] of texts) released.set(key, { from: 0, text, findings: scanner.find(text) });
  const changed: Changed[] = [];
  for (const p of placed) {
    const r = released.get(p.channel)!;
    if (touched(r, p.start, p.end)) changed.push({ piece: p, text: renderRange(r, p.start, p.end) });
  }
  const edits: ValueEdit[] = changed.map((c) => ({ path: c.piece.path, value: pieceValue(c.piece, c.text) }));
  if (changed.length > 0 && follow) edits.push(...follow(changed));
  return edits;
}
