// Incremental server-sent-events splitter: bytes in, whole events out, each with its original text.
import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  /** The event exactly as received, including its terminating blank line. */
  raw: string;
  /** The `event:` field, if any. */
  event: string | undefined;
  /** The `data:` lines joined with "\n". */
  data: string;
}

// A blank line ends an event; lines end in CRLF, LF or CR (mixed endings included, as the SSE spec allows).
const BOUNDARY = /\r\n\r\n|\n\r\n|\r\n\n|\n\n|\r\r/g;

export class SseSplitter {
  private decoder = new StringDecoder('utf8');
  private pending = '';

  /** Feeds bytes; returns the events they complete. */
  push(chunk: Buffer): SseEvent[] {
    // Resume the boundary search just before the new text (a boundary may straddle the join), so a
    // multi-megabyte event arriving in many chunks costs linear time, not quadratic.
    const from = Math.max(0, this.pending.length - 3);
    this.pending += this.decoder.write(chunk);
    const events: SseEvent[] = [];
    let start = 0;
    BOUNDARY.lastIndex = from;
    for (let m = BOUNDARY.exec(this.pending); m; m = BOUNDARY.exec(this.pending)) {
      const end = m.index + m[0].length;
      events.push(parseEvent(this.pending.slice(start, end)));
      start = end;
    }
    if (start > 0) this.pending = this.pending.slice(start);
    return events;
  }

  /** What is left when the stream ends (an unterminated last event), as raw text. */
  rest(): string {
    const tail = this.pending + this.decoder.end();
    this.pending = '';
    return tail;
  }
}

export function parseEvent(raw: string): SseEvent {
  let event: string | undefined;
  let data: string | undefined;
  for (const line of raw.split(/\r\n|\n|\r/)) {
    if (line.startsWith('data:')) {
      const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
      data = data === undefined ? value : data + '\n' + value;
    } else if (line.startsWith('event:')) {
      event = line.slice(line.charCodeAt(6) === 32 ? 7 : 6);
    }
  }
  return { raw, event, data: data ?? '' };
}
