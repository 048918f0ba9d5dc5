// Where the input tokens of a request are: a walk over each API's request shape, counting text pieces.
// Counts are estimates. Not counted: server-side history (`previous_response_id`, `conversation`, a
// Realtime session's conversation), files and audio (their size is not in the request). Images count by their
// provider's rule from the size in their header (image-tokens.ts), never as text. A Realtime client event counts
// what it adds: session instructions and tools, an item, a response's own instructions, input and tools.
import type { Provider } from '../providers.js';
import type { EndpointKind } from './endpoint-kind.js';
import { isObj } from '../json.js';
import { base64ImageSize, imageTokens } from './image-tokens.js';

/** Counts one piece of text (the caller caches it). */
export type CountText = (text: string) => number;

/**
 * Tokens of one item of a top-level list (a message, an input item, a tool, a system block): `compute` counts it;
 * a memo may give a figure it kept for the same object instead (the caller's cache; see tokens.ts).
 */
export type ItemMemo = (item: object, compute: () => number) => number;

// OpenAI's published recipe: 3 tokens a message plus its role (1), 1 more for a name, 3 to prime the reply.
const PER_MESSAGE = 4;
const PER_NAME = 1;
const REPLY_PRIMING = 3;
// Anthropic adds a tool-use system prompt when `tools` is set (346 tokens for Claude 4 models, per its docs).
const ANTHROPIC_TOOL_SYSTEM = 346;

type Json = Record<string, unknown>;

/** `model`: for the image rule (the body's `model` when absent). */
export function countRequestTokens(provider: Provider, kind: EndpointKind | undefined, body: unknown, count: CountText, model?: string, memo?: ItemMemo): number {
  if (!isObj(body)) return 0;
  const walk = new Walk(provider, count, model ?? (typeof body.model === 'string' ? body.model : undefined), memo);
  switch (kind) {
    case 'chat':
      return walk.chat(body);
    case 'responses':
      return walk.responses(body);
    case 'messages':
      return walk.messages(body);
    case 'embeddings':
      return walk.prompt(body.input);
    case 'completions':
      return walk.prompt(body.prompt);
    case 'realtime':
      return walk.realtime(body);
    default:
      return 0;
  }
}

class Walk {
  constructor(
    private readonly provider: Provider,
    private readonly count: CountText,
    private readonly model: string | undefined,
    private readonly memo: ItemMemo | undefined,
  ) {}

  /** One item of a top-level list, through the memo. */
  private each(item: Json, count: (item: Json) => number): number {
    return this.memo ? this.memo(item, () => count(item)) : count(item);
  }

  chat(body: Json): number {
    let total = REPLY_PRIMING;
    for (const m of array(body.messages)) if (isObj(m)) total += this.each(m, (x) => this.chatMessage(x));
    return total + this.definitions(body.tools) + this.definitions(body.functions) + this.schema(body.response_format);
  }

  private chatMessage(m: Json): number {
    let total = PER_MESSAGE + this.content(m.content) + this.text(m.refusal);
    if (typeof m.name === 'string') total += PER_NAME + this.count(m.name);
    for (const call of array(m.tool_calls)) if (isObj(call)) total += this.fn(call.function);
    return total + this.fn(m.function_call);
  }

  responses(body: Json): number {
    let total = REPLY_PRIMING;
    if (typeof body.instructions === 'string') total += PER_MESSAGE + this.count(body.instructions);
    if (typeof body.input === 'string') total += PER_MESSAGE + this.count(body.input);
    for (const item of array(body.input)) if (isObj(item)) total += this.each(item, (x) => PER_MESSAGE + this.item(x));
    const format = isObj(body.text) ? body.text.format : undefined;
    return total + this.definitions(body.tools) + this.schema(format);
  }

  /** A Realtime client event: `session.update`, `conversation.item.create` or `response.create`. */
  realtime(body: Json): number {
    let total = 0;
    for (const part of [body.session, body.response]) {
      if (!isObj(part)) continue;
      total += this.text(part.instructions) + this.definitions(part.tools);
      for (const item of array(part.input)) if (isObj(item)) total += PER_MESSAGE + this.item(item);
    }
    if (isObj(body.item)) total += PER_MESSAGE + this.item(body.item);
    return total;
  }

  messages(body: Json): number {
    let total = REPLY_PRIMING;
    if (Array.isArray(body.system)) for (const part of body.system) total += isObj(part) ? this.each(part, (x) => this.part(x)) : this.content([part]);
    else total += this.content(body.system);
    for (const m of array(body.messages)) if (isObj(m)) total += this.each(m, (x) => PER_MESSAGE + this.content(x.content));
    const tools = array(body.tools);
    if (tools.length > 0) total += ANTHROPIC_TOOL_SYSTEM + this.definitions(tools);
    return total;
  }

  /** Embeddings `input` / Completions `prompt`: a string, strings, or already-tokenized arrays. */
  prompt(input: unknown): number {
    if (typeof input === 'string') return this.count(input);
    let total = 0;
    for (const part of array(input)) {
      if (typeof part === 'string') total += this.count(part);
      else if (typeof part === 'number') total += 1;
      else if (Array.isArray(part)) total += part.length;
    }
    return total;
  }

  private item(item: Json): number {
    switch (item.type) {
      case 'function_call':
      case 'custom_tool_call':
        return this.text(item.name) + this.text(item.arguments) + this.text(item.input);
      case 'function_call_output':
      case 'custom_tool_call_output':
        return this.content(item.output);
      case 'reasoning':
        return this.content(item.summary);
      case 'computer_call_output':
        return imageTokens(this.provider, this.model, base64ImageSize(isObj(item.output) ? item.output.image_url : undefined));
      default:
        return this.content(item.content);
    }
  }

  /** A string, or an array of content parts/blocks as OpenAI and Anthropic both shape them. */
  private content(content: unknown): number {
    if (typeof content === 'string') return this.count(content);
    let total = 0;
    for (const part of array(content)) {
      if (typeof part === 'string') total += this.count(part);
      else if (isObj(part)) total += this.part(part);
    }
    return total;
  }

  private part(part: Json): number {
    switch (part.type) {
      case 'image_url':
      case 'input_image':
      case 'image':
        return this.image(part);
      case 'tool_use':
      case 'server_tool_use':
        return this.text(part.name) + this.json(part.input);
      case 'tool_result':
        return this.content(part.content);
      case 'thinking':
        return this.text(part.thinking);
      case 'document':
        return isObj(part.source) && part.source.type === 'text' ? this.text(part.source.data) : 0;
      case 'refusal':
        return this.text(part.refusal);
      default:
        return this.text(part.text);
    }
  }

  /** Chat `image_url: { url, detail }`, Responses `input_image: { image_url, detail }`, Anthropic `image: { source: { data } }`. */
  private image(part: Json): number {
    const source = isObj(part.source) ? part.source.data : undefined;
    const url = isObj(part.image_url) ? part.image_url.url : part.image_url;
    const detail = isObj(part.image_url) ? part.image_url.detail : part.detail;
    return imageTokens(this.provider, this.model, base64ImageSize(source ?? url), detail);
  }

  /** A Chat Completions `function` / `function_call`: its name and JSON-text arguments. */
  private fn(value: unknown): number {
    return isObj(value) ? this.text(value.name) + this.text(value.arguments) : 0;
  }

  /** Tool definitions, counted as their JSON text (close to, a little above, what the APIs render). */
  private definitions(tools: unknown): number {
    let total = 0;
    for (const tool of array(tools)) total += isObj(tool) ? this.each(tool, (x) => this.json(x)) : this.json(tool);
    return total;
  }

  /** A structured-output format: only a JSON schema adds meaningful input. */
  private schema(format: unknown): number {
    return isObj(format) ? this.json(format.json_schema ?? format.schema) : 0;
  }

  private json(value: unknown): number {
    if (value === undefined || value === null) return 0;
    return this.count(typeof value === 'string' ? value : JSON.stringify(value));
  }

  private text(value: unknown): number {
    return typeof value === 'string' ? this.count(value) : 0;
  }
}

function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

