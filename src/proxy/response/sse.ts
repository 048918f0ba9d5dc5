// Incremental server-sent-events parser: bytes in, whole events out, each with its exact original text.
// The line rules are the HTML standard's ("Server-sent events", *Interpreting an event stream*): a line
// ends with CRLF, LF or CR (mixed in one stream too), a blank line ends an event, a line starting with
// ":" is a comment, a field is split at its first ":" (one leading space of the value dropped), and a line
// without ":" is a field with an empty value. A stream's leading byte-order mark is not part of the first
// line (UTF-8 decode drops it). The SDKs parse the same way: openai-node and @anthropic-ai/sdk
// (`LineDecoder`, `SSEDecoder`), the Vercel AI SDK (`eventsource-parser`).
import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  /** The event exactly as received, including the line end of its terminating blank line. */
  raw: string;
  /** The `event` field, if any (an empty value counts as none). */
  event: string | undefined;
  /** The `data` fields joined with "\n" ('' when there are none). */
  data: string;
}

const BOM = '\uFEFF';
// Two regexes: the splitter's search position must survive parsing the events it finds.
const LINE_END = /[\r\n]/g;
const LINE_END_IN_EVENT = /[\r\n]/g;

export class SseSplitter {
  private decoder = new StringDecoder('utf8');
  private pending = '';
  /** Where the line being read starts in `pending`. */
  private lineStart = 0;
  /** Where the search for the next line end resumes (so a long line arriving in pieces costs linear time). */
  private scanFrom = 0;
  private atStreamStart = true;

  /** Feeds bytes; returns the events they complete. */
  push(chunk: Buffer): SseEvent[] {
    this.pending += this.decoder.write(chunk);
    const events: SseEvent[] = [];
    let eventStart = 0;
    LINE_END.lastIndex = this.scanFrom;
    this.scanFrom = this.pending.length;
    for (let m = LINE_END.exec(this.pending); m; m = LINE_END.exec(this.pending)) {
      const at = m.index;
      let end = at + 1;
      if (this.pending.charCodeAt(at) === 13) {
        // A CR at the end of what has arrived may be the first half of a CRLF: wait for the next character.
        if (end === this.pending.length) {
          this.scanFrom = at;
          break;
        }
        if (this.pending.charCodeAt(end) === 10) end++;
      }
      LINE_END.lastIndex = end;
      const bomLine = this.atStreamStart && this.lineStart === 0 && at === 1 && this.pending.startsWith(BOM);
      const blank = at === this.lineStart || bomLine;
      this.lineStart = end;
      if (!blank) continue;
      events.push(parseEvent(this.pending.slice(eventStart, end)));
      eventStart = end;
      this.atStreamStart = false;
    }
    if (eventStart > 0) {
      this.pending = this.pending.slice(eventStart);
      this.lineStart -= eventStart;
      this.scanFrom -= eventStart;
    }
    return events;
  }

  /** What is left when the stream ends (an unterminated last event), as raw text. */
  rest(): string {
    const tail = this.pending + this.decoder.end();
    this.pending = '';
    this.lineStart = 0;
    this.scanFrom = 0;
    return tail;
  }
}

/** One line of an event: where its text and its line end are in the raw text. */
export interface SseLine {
  start: number;
  /** End of the line's text (its line end excluded). */
  end: number;
  /** End of its line end (`end` when the raw text ends without one). */
  next: number;
}

/** The lines of an event's raw text (a leading byte-order mark is skipped). */
export function sseLines(raw: string): SseLine[] {
  const lines: SseLine[] = [];
  let start = raw.startsWith(BOM) ? 1 : 0;
  while (start < raw.length) {
    LINE_END_IN_EVENT.lastIndex = start;
    const m = LINE_END_IN_EVENT.exec(raw);
    if (!m) {
      lines.push({ start, end: raw.length, next: raw.length });
      break;
    }
    const next = raw.charCodeAt(m.index) === 13 && raw.charCodeAt(m.index + 1) === 10 ? m.index + 2 : m.index + 1;
    lines.push({ start, end: m.index, next });
    start = next;
  }
  return lines;
}

/** A field line's name and where its value starts (after the ":" and one optional space); undefined for comments. */
export function sseField(raw: string, line: SseLine): { name: string; valueStart: number } | undefined {
  if (raw.charCodeAt(line.start) === 58) return undefined; // ":" comment
  const colon = raw.indexOf(':', line.start);
  if (colon === -1 || colon >= line.end) return { name: raw.slice(line.start, line.end), valueStart: line.end };
  const valueStart = raw.charCodeAt(colon + 1) === 32 && colon + 1 < line.end ? colon + 2 : colon + 1;
  return { name: raw.slice(line.start, colon), valueStart };
}

/** Reads one event's raw text (its fields; the blank line that ends it, if there, is just that). */
export function parseEvent(raw: string): SseEvent {
  let event: string | undefined;
  let data: string | undefined;
  for (const line of sseLines(raw)) {
    if (line.start === line.end) break; // the blank line: the event ends here
    const field = sseField(raw, line);
    if (field?.name === 'data') {
      const value = raw.slice(field.valueStart, line.end);
      data = data === undefined ? value : `${data}\n${value}`;
    } else if (field?.name === 'event') {
      const value = raw.slice(field.valueStart, line.end);
      event = value === '' ? undefined : value;
    }
  }
  return { raw, event, data: data ?? '' };
}
