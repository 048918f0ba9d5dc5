// The SSE parser against the HTML standard's line rules, and against itself however the bytes are cut.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEvent, SseSplitter, type SseEvent } from './sse.js';

function splitAll(text: string, cuts: number[] = []): { events: SseEvent[]; rest: string } {
  const bytes = Buffer.from(text, 'utf8');
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const s = new SseSplitter();
  const events: SseEvent[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    events.push(...s.push(bytes.subarray(at, p)));
    at = p;
  }
  return { events, rest: s.rest() };
}

/**
 * The standard's algorithm, written as plainly as it reads (whole text, no streaming): the events a client
 * dispatches, as [event type or '', data].
 */
function reference(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = body.split(/\r\n|\r|\n/);
  lines.pop(); // the text after the last line end is not a line (yet)
  let data = '';
  let type = '';
  for (const line of lines) {
    if (line === '') {
      if (data !== '') out.push([type, data.endsWith('\n') ? data.slice(0, -1) : data]);
      data = '';
      type = '';
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data += `${value}\n`;
    else if (field === 'event') type = value;
  }
  return out;
}

const dispatched = (events: SseEvent[]): Array<[string, string]> =>
  events.filter((e) => /(^|[\r\n])data(:|[\r\n])/.test(e.raw.replace(/^\uFEFF/, ''))).map((e) => [e.event ?? '', e.data]);

describe('SseSplitter', () => {
  it.each([
    ['LF', 'data: a\n\ndata: b\n\n'],
    ['CRLF', 'data: a\r\n\r\ndata: b\r\n\r\n'],
    ['CR', 'data: a\r\rdata: b\r\r'],
    ['CRLF then CR', 'data: a\r\n\rdata: b\r\n\r'],
    ['LF then CR', 'data: a\n\rdata: b\n\r'],
    ['CR then LF', 'data: a\r\ndata: b\r\n\n'],
  ])('ends events at a blank line whatever the line ends (%s)', (_name, text) => {
    const { events, rest } = splitAll(text);
    expect(events.map((e) => e.raw).join('') + rest).toBe(text);
    // A final CR waits for the next byte; at the end of the stream, the rest is read as the last event.
    expect(dispatched(rest === '' ? events : [...events, parseEvent(rest)])).toEqual(reference(text));
    expect(events.length).toBeGreaterThanOrEqual(1);
  });

  it('waits for the character after a CR at the end of a chunk (it may be half of a CRLF)', () => {
    const s = new SseSplitter();
    expect(s.push(Buffer.from('data: a\r\n\r'))).toEqual([]);
    expect(s.push(Buffer.from('\ndata: b\r\n\r')).map((e) => e.raw)).toEqual(['data: a\r\n\r\n']);
    expect(s.push(Buffer.from('x')).map((e) => e.raw)).toEqual(['data: b\r\n\r']);
  });

  it('reads the fields as the standard does: no colon, comments, one leading space, a BOM at the start', () => {
    expect(parseEvent('data\ndata:x\ndata:  y\n: data: no\nevent:e\n\n')).toMatchObject({ event: 'e', data: '\nx\n y' });
    expect(parseEvent('Data: no\ndata : no\n\n').data).toBe('');
    const { events } = splitAll('\uFEFFdata: first\n\n');
    expect(events).toEqual([{ raw: '\uFEFFdata: first\n\n', event: undefined, data: 'first' }]);
    expect(splitAll('\uFEFF\n\ndata: x\n\n').events.map((e) => e.raw)).toEqual(['\uFEFF\n', '\n', 'data: x\n\n']);
  });

  it('keeps a multi-byte character cut between chunks', () => {
    const text = 'data: {"t":"é😀"}\n\n';
    for (let cut = 1; cut < Buffer.byteLength(text); cut++) expect(splitAll(text, [cut]).events[0].data).toBe('{"t":"é😀"}');
  });

  const line = fc.oneof(
    fc.constantFrom('data: {"a":1}', 'data:x', 'data', 'data: ', 'event: e', 'event:', ': comment', 'id: 1', 'retry: 5', 'x: y', ''),
    fc.string({ unit: fc.constantFrom('a', ':', ' ', 'd', 'é', '😀'), maxLength: 8 }),
  );
  const ending = fc.constantFrom('\n', '\r\n', '\r');
  const stream = fc.tuple(fc.boolean(), fc.array(fc.tuple(line, ending), { maxLength: 30 })).map(([bom, ls]) => (bom ? '\uFEFF' : '') + ls.map(([l, e]) => l + e).join(''));

  it('property: every byte comes out once, and the events are those of the standard, however the bytes are cut', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 20 }), (text, cuts) => {
        const { events, rest } = splitAll(text, cuts);
        expect(events.map((e) => e.raw).join('') + rest).toBe(text);
        const expected = reference(text);
        const got = dispatched(events);
        // A CR at the very end may still become a CRLF: an event it would end is still pending in the splitter.
        expect(got).toEqual(text.endsWith('\r') && expected.length > got.length ? expected.slice(0, got.length) : expected);
        expect(splitAll(text).events).toEqual(events);
      }),
      { numRuns: Number(process.env.GUARDRUN_FUZZ_RUNS ?? 500) },
    );
  });
});
