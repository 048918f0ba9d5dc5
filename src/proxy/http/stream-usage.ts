// Every billed answer must report its usage. A Chat Completions (or legacy Completions) stream carries usage only
// when the request sets `stream_options.include_usage` (OpenAI API reference, "stream_options"); raw-SDK agents
// rarely do. guardrun sets it on the way up and takes the extra it causes out of the agent's stream, so the agent
// receives the stream it asked for: no trailing chunk with `choices: []`, no `"usage":null` on every chunk.
import { endpointKind } from '../../cost/endpoint-kind.js';
import { isUsageOnlyChunk } from '../../cost/usage.js';
import type { SseEvent } from '../response/sse.js';
import type { Exchange } from '../types.js';

const FIELD = '"stream_options":{"include_usage":true}';

/**
 * The body to forward with `stream_options.include_usage: true` added, or undefined when the request needs
 * no change (not an OpenAI chat/completions stream, or it already asks for usage). `body` is what would be
 * forwarded (possibly redacted). Without a `stream_options` key the field is inserted as text, so the rest
 * of the body keeps its bytes; otherwise the JSON is re-serialised with the option set.
 */
export function askForStreamUsage(ex: Exchange, body: Buffer): Buffer | undefined {
  if (ex.provider !== 'openai' || !ex.stream) return undefined;
  const kind = endpointKind(ex.provider, ex.apiPath);
  if (kind !== 'chat' && kind !== 'completions') return undefined;
  const json = ex.json as Record<string, unknown> | undefined;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const options = json.stream_options;
  if (typeof options === 'object' && options !== null && (options as { include_usage?: unknown }).include_usage === true) return undefined;
  const text = body.toString('utf8');
  if (options === undefined) {
    const open = text.indexOf('{');
    if (open === -1) return undefined;
    const empty = /^\s*\}/.test(text.slice(open + 1));
    return Buffer.from(`${text.slice(0, open + 1)}${FIELD}${empty ? '' : ','}${text.slice(open + 1)}`, 'utf8');
  }
  let forwarded: Record<string, unknown>;
  try {
    forwarded = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const current = forwarded.stream_options;
  forwarded.stream_options = { ...(typeof current === 'object' && current !== null ? current : {}), include_usage: true };
  return Buffer.from(JSON.stringify(forwarded), 'utf8');
}

const NULL_USAGE = ',"usage":null';

/**
 * An event of a stream whose usage guardrun asked for, as the agent would have received it without that:
 * undefined for the usage-only chunk, else the event without its `"usage":null` field. (Unescaped quotes
 * cannot occur inside a JSON string, so the text `,"usage":null` is always that field; chunks carry no other
 * object with a `usage` key.)
 */
export function withoutAddedUsage(event: SseEvent): SseEvent | undefined {
  if (isUsageOnlyChunk(event.data)) return undefined;
  if (!event.data.includes(NULL_USAGE)) return event;
  return { raw: event.raw.replace(NULL_USAGE, ''), event: event.event, data: event.data.replace(NULL_USAGE, '') };
}
