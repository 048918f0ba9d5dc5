// What a request sends to the model (texts) and what a response asks the agent to run (tool calls),
// for OpenAI Chat Completions, OpenAI Responses and Anthropic Messages bodies. Pure; never throws on odd input.
import type { ToolCall } from './types.js';
import { embeddedText } from '../secrets/embedded.js';
import { isObj } from '../json.js';

type Obj = Record<string, unknown>;

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** The model named by the body, or by an Azure-style `/openai/deployments/<name>/…` path. */
export function modelOf(path: string, body: unknown): string | undefined {
  if (isObj(body) && typeof body.model === 'string' && body.model !== '') return body.model;
  const m = /\/openai\/deployments\/([^/?#]+)/.exec(path);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/**
 * Every text in a request body that reaches the model: messages, input, instructions, system prompts, tool
 * definitions (names, descriptions, parameter schemas), Chat `prediction`, structured-output formats
 * (`response_format`, Responses `text.format`: names, descriptions, schemas), Responses `prompt.variables`, and
 * text carried encoded: text `data:` URIs in file parts and Anthropic documents (base64 `text/plain`, content).
 */
export function extractRequestTexts(body: unknown): string[] {
  const out: string[] = [];
  if (!isObj(body)) return out;
  const push = (s: unknown) => {
    if (typeof s === 'string' && s !== '') out.push(s);
  };

  for (const message of asArray(body.messages)) remembered(message, collectMessage, push);
  collectSystem(body.system, push);
  collectInput(body.instructions, push);
  collectInput(body.input, push);
  if (isObj(body.prompt)) collectPromptVariables(body.prompt, push);
  else collectInput(body.prompt, push);
  if (isObj(body.prediction)) collectContent(body.prediction.content, push);
  if (body.response_format !== undefined) push(json(body.response_format));
  if (isObj(body.text) && body.text.format !== undefined) push(json(body.text.format));
  for (const tool of asArray(body.tools)) remembered(tool, collectToolDefinition, push);
  for (const fn of asArray(body.functions)) remembered(fn, collectToolDefinition, push);
  if (typeof body.type === 'string') collectRealtimeEvent(body, push);
  return out;
}

// The texts of a message or tool definition, by object. A request that re-sends its conversation hands over the
// earlier request's own (equal) objects (recording/parts-index.ts), so a re-sent item's texts, including the JSON
// of a tool's parameter schema, are not worked out again. Items are never modified after they are parsed.
const textsOf = new WeakMap<object, string[]>();

function remembered(item: unknown, collect: (item: unknown, push: Push) => void, push: Push): void {
  if (!isObj(item)) return collect(item, push);
  let texts = textsOf.get(item);
  if (!texts) {
    const found: string[] = [];
    collect(item, (s) => {
      if (typeof s === 'string' && s !== '') found.push(s);
    });
    textsOf.set(item, (texts = found));
  }
  for (const t of texts) push(t);
}

/**
 * A Realtime client event (WebSocket): `session.update` (instructions, tools), `conversation.item.create`
 * (one item), `response.create` (its `response` overrides: instructions, input items, tools).
 */
function collectRealtimeEvent(event: Obj, push: Push): void {
  for (const part of [event.session, event.response]) {
    if (!isObj(part)) continue;
    collectInput(part.instructions, push);
    collectInput(part.input, push);
    for (const tool of asArray(part.tools)) collectToolDefinition(tool, push);
  }
  if (isObj(event.item)) collectInput([event.item], push);
}

type Push = (s: unknown) => void;

/** Responses `prompt: { id, version, variables }`: each variable is a string or an input item (text, file…). */
function collectPromptVariables(prompt: Obj, push: Push): void {
  if (!isObj(prompt.variables)) return;
  for (const value of Object.values(prompt.variables)) {
    if (typeof value === 'string') push(value);
    else collectInput([value], push);
  }
}

/** Text sent encoded (a text `data:` URI, base64 text): its decoded text. */
function pushEmbedded(value: unknown, push: Push): void {
  if (typeof value !== 'string') return;
  const inner = embeddedText(value);
  if (inner) push(inner.text);
}

/** File parts of every API: Chat `file.file_data`, Responses `input_file.file_data`, a `data:` URL anywhere a URL goes. */
function collectFilePart(part: Obj, push: Push): void {
  pushEmbedded(part.file_data, push);
  if (isObj(part.file)) pushEmbedded(part.file.file_data, push);
  if (typeof part.url === 'string' && part.url.startsWith('data:')) pushEmbedded(part.url, push);
  if (isObj(part.image_url) && typeof part.image_url.url === 'string' && part.image_url.url.startsWith('data:')) pushEmbedded(part.image_url.url, push);
  if (isObj(part.input_audio)) return; // audio: nothing readable
}

/** An Anthropic `document` (or `search_result`) block: title, context, and its source as text. */
function collectDocument(part: Obj, push: Push): void {
  push(part.title);
  push(part.context);
  const source = part.source;
  if (!isObj(source)) return;
  if (source.type === 'text') push(source.data);
  else if (source.type === 'content') collectContent(source.content, push);
  else if (source.type === 'base64' && typeof source.media_type === 'string' && /^text\//i.test(source.media_type) && typeof source.data === 'string') {
    pushEmbedded(source.data, push);
  } else if (source.type === 'url' && typeof source.url === 'string' && source.url.startsWith('data:')) pushEmbedded(source.url, push);
}

/** A chat or Anthropic message: content, plus any tool calls it already made (they are resent as context). */
function collectMessage(message: unknown, push: Push): void {
  if (!isObj(message)) return;
  collectContent(message.content, push);
  for (const call of asArray(message.tool_calls)) {
    if (!isObj(call)) continue;
    const fn = isObj(call.function) ? call.function : isObj(call.custom) ? call.custom : undefined;
    if (fn) {
      push(fn.name);
      push(fn.arguments ?? fn.input);
    }
  }
  if (isObj(message.function_call)) {
    push(message.function_call.name);
    push(message.function_call.arguments);
  }
}

/** A content field: a string, or parts/blocks (text, tool_result, tool_use, thinking, plain-text documents). */
function collectContent(content: unknown, push: Push): void {
  if (typeof content === 'string') return push(content);
  for (const part of asArray(content)) {
    if (typeof part === 'string') {
      push(part);
      continue;
    }
    if (!isObj(part)) continue;
    push(part.text);
    push(part.thinking);
    push(part.refusal);
    push(part.transcript); // Realtime audio parts carry their transcript
    // Nested blocks (tool_result, search_result…) carry their own content.
    if (Array.isArray(part.content) || (part.type === 'tool_result' && typeof part.content === 'string')) collectContent(part.content, push);
    if (part.type === 'tool_use' || part.type === 'server_tool_use') {
      push(part.name);
      push(json(part.input));
    }
    if (part.type === 'document' || part.type === 'search_result') collectDocument(part, push);
    collectFilePart(part, push);
  }
}

function collectSystem(system: unknown, push: Push): void {
  collectContent(system, push);
}

/** Responses `input`/`instructions`, embeddings `input`, completions `prompt`: a string, strings, or items. */
function collectInput(input: unknown, push: Push): void {
  if (typeof input === 'string') return push(input);
  for (const item of asArray(input)) {
    if (typeof item === 'string') {
      push(item);
      continue;
    }
    if (!isObj(item)) continue;
    collectContent(item.content, push);
    push(item.text);
    collectFilePart(item, push); // a bare input_file (a prompt variable)
    if (item.type === 'function_call' || item.type === 'custom_tool_call' || item.type === 'mcp_call') {
      push(item.name);
      push(item.arguments ?? item.input);
    }
    if (typeof item.type === 'string' && item.type.endsWith('_output')) {
      if (typeof item.output === 'string') push(item.output);
      else collectContent(item.output, push);
    }
    if (item.type === 'reasoning') collectContent(item.summary, push);
    // Tool definitions sent as an input item (Codex's `additional_tools`).
    if (item.type === 'additional_tools') for (const tool of asArray(item.tools)) collectToolDefinition(tool, push);
  }
}

/** A tool definition: name, description and the JSON of its parameters (any API); an unknown kind as JSON. */
function collectToolDefinition(tool: unknown, push: Push): void {
  if (!isObj(tool)) return;
  const def = isObj(tool.function) ? tool.function : isObj(tool.custom) ? tool.custom : tool;
  if (typeof def.name !== 'string') return push(json(tool));
  push(def.name);
  push(def.description);
  const params = def.parameters ?? def.input_schema ?? def.format;
  if (params !== undefined) push(json(params));
  for (const inner of asArray(def.tools)) collectToolDefinition(inner, push); // a namespace of tools
}

/** The tool calls a (non-stream) response asks the agent to run. */
export function extractToolCalls(body: unknown): ToolCall[] {
  const calls: ToolCall[] = [];
  if (!isObj(body)) return calls;
  const add = (name: unknown, args: unknown) => {
    if (typeof name !== 'string') return;
    calls.push({ name, arguments: typeof args === 'string' ? args : args === undefined ? '' : json(args) });
  };

  // Chat Completions
  for (const choice of asArray(body.choices)) {
    if (!isObj(choice) || !isObj(choice.message)) continue;
    for (const call of asArray(choice.message.tool_calls)) {
      if (!isObj(call)) continue;
      if (isObj(call.function)) add(call.function.name, call.function.arguments);
      else if (isObj(call.custom)) add(call.custom.name, call.custom.input);
    }
    const legacy = choice.message.function_call;
    if (isObj(legacy)) add(legacy.name, legacy.arguments);
  }

  // Responses
  for (const item of asArray(body.output)) {
    if (!isObj(item) || typeof item.type !== 'string') continue;
    if (item.type === 'function_call' || item.type === 'mcp_call') add(item.name, item.arguments);
    else if (item.type === 'custom_tool_call') add(item.name, item.input);
    // Built-in client-side tools (local_shell_call, shell_call, apply_patch_call…): named after the type.
    else if (item.type.endsWith('_call') && (isObj(item.action) || isObj(item.operation))) {
      add(item.type.slice(0, -'_call'.length), item.action ?? item.operation);
    }
  }

  // Anthropic Messages
  for (const block of asArray(body.content)) {
    if (!isObj(block)) continue;
    if (block.type === 'tool_use' || block.type === 'server_tool_use' || block.type === 'mcp_tool_use') add(block.name, block.input);
  }
  return calls;
}
