// The text a streamed answer amounts to, assembled from its recorded events as the SDKs assemble it:
// Chat Completions `choices[].delta.content` (and `refusal`), Responses `response.output_text.delta` (and
// `response.refusal.delta`), Anthropic `content_block_delta` with `text_delta`. Tool calls come from
// stream-tool-calls.ts. Used by `guardrun replay --full` to show an answer instead of its raw events.
import { endpointKind } from '../cost/endpoint-kind.js';
import type { Provider } from '../providers.js';
import { parseEvent } from '../proxy/response/sse.js';
import { streamToolCalls } from './stream-tool-calls.js';
import { isObj, parseObject } from '../json.js';

type Obj = Record<string, unknown>;

/**
 * The assembled answer: text per choice (`[choice 1] …` prefixes when a chat stream has several), followed by
 * one `tool NAME: ARGUMENTS` line per tool call. Empty when the events carry neither.
 */
export function streamText(provider: Provider, apiPath: string, rawEvents: readonly string[]): string {
  const data = rawEvents.map((raw) => parseObject(parseEvent(raw).data));
  const kind = endpointKind(provider, apiPath);
  const texts = kind === 'messages' ? [anthropicText(data)] : kind === 'responses' ? [responsesText(data)] : chatTexts(data);
  const shown = texts.length > 1 ? texts.map((t, i) => `[choice ${i}] ${t}`) : texts.filter((t) => t !== '');
  const calls = streamToolCalls(provider, apiPath, rawEvents).map((c) => `tool ${c.name}: ${c.arguments}`);
  return [...shown, ...calls].join('\n');
}

function chatTexts(events: Array<Obj | undefined>): string[] {
  const byChoice = new Map<number, string>();
  for (const data of events) {
    for (const choice of Array.isArray(data?.choices) ? data.choices : []) {
      if (!isObj(choice) || !isObj(choice.delta)) continue;
      const index = typeof choice.index === 'number' ? choice.index : 0;
      const piece = [choice.delta.content, choice.delta.refusal].filter((p) => typeof p === 'string').join('');
      byChoice.set(index, (byChoice.get(index) ?? '') + piece);
    }
  }
  return [...byChoice.entries()].sort(([a], [b]) => a - b).map(([, text]) => text);
}

function responsesText(events: Array<Obj | undefined>): string {
  let text = '';
  for (const data of events) {
    if ((data?.type === 'response.output_text.delta' || data?.type === 'response.refusal.delta') && typeof data.delta === 'string') text += data.delta;
  }
  return text;
}

function anthropicText(events: Array<Obj | undefined>): string {
  let text = '';
  for (const data of events) {
    if (data?.type === 'content_block_delta' && isObj(data.delta) && data.delta.type === 'text_delta' && typeof data.delta.text === 'string') text += data.delta.text;
  }
  return text;
}

