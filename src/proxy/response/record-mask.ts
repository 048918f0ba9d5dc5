// Masking a stream for the session file when its API's handler cannot read it (a hostile or unknown shape):
// every string of every event's JSON data is a piece of the channel named by its event type and its path
// (array positions merged), so a secret split over events in any field is masked as it is for the agent.
// Nothing is judged and nothing is refused: the file gets every event, masked.
import type { Scanner } from '../../secrets/scan.js';
import { EventMasker, type Out, type Piece } from './event-masker.js';
import type { JsonPath } from './json-edit.js';
import { parseEvent } from './sse.js';
import { isObj, maskWholeEvent } from './stream-json.js';
import { parseObject } from './stream-handler.js';

const isByteArray = (v: unknown[]): boolean => v.length > 0 && v.every((n) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 255);

function piecesOf(data: Record<string, unknown>): Piece[] {
  const prefix = typeof data.type === 'string' ? `${data.type}|` : '|';
  const pieces: Piece[] = [];
  const stack: Array<{ v: unknown; path: JsonPath; shape: string }> = [{ v: data, path: [], shape: '' }];
  while (stack.length > 0) {
    const { v, path, shape } = stack.pop()!;
    if (typeof v === 'string') {
      if (v !== '') pieces.push({ channel: prefix + shape, path, text: v });
    } else if (Array.isArray(v)) {
      if (isByteArray(v)) pieces.push({ channel: `${prefix}${shape}#bytes`, path, text: Buffer.from(v as number[]).toString('latin1'), bytes: true });
      else for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i], shape: `${shape}/*` });
    } else if (isObj(v)) {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ v: entries[i][1], path: [...path, entries[i][0]], shape: `${shape}/${entries[i][0]}` });
    }
  }
  return pieces;
}

/** Raw event texts masked as one stream, one text out for each in. */
export function maskEventsForRecord(texts: readonly string[], scanner: Scanner): string[] {
  const masker = new EventMasker(scanner);
  const out: string[] = [];
  const take = (steps: Out[]): void => {
    for (const step of steps) if (typeof step === 'string') out.push(step);
  };
  for (const raw of texts) {
    const e = parseEvent(raw);
    const data = parseObject(e.data);
    if (!data) take(masker.push({ ...e, raw: maskWholeEvent(e, scanner) }, []));
    else take(masker.push(e, piecesOf(data)));
  }
  take(masker.end());
  return out;
}
