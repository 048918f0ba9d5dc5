// The one event that ends a stream guardrun refused, in each API's own shape, so the SDKs throw an
// error that carries the message (and, for OpenAI, the rule id as `code`):
// - openai (core/streaming.js) throws APIError for any data with an `error` member, whatever the event name;
// - @anthropic-ai/sdk throws APIError for `event: error`, with the body as `error` and `error.type` as `type`.
import { errorBody, type ProxyError } from '../error-response.js';

/** Chat Completions (and other OpenAI streams): a data-only event whose JSON is the usual error body. */
export function chatErrorEvent(error: ProxyError): string {
  return `data: ${errorBody('openai', error)}\n\n`;
}

/**
 * The `status` of guardrun's error events on a WebSocket (OpenAI's WebSocket-mode error events carry an
 * HTTP-like status). Codex 0.171 turns such an event into an HTTP error of that status (codex-api
 * `responses_websocket.rs`); measured: with 400 it ends the turn and shows the error, with 403, 409, 422,
 * 451, 429 or 5xx it reconnects five times, then repeats the request six times over HTTP (~13 s). A refusal
 * is final, so it is sent as 400 (`invalid_request_error`, as OpenAI reports requests it will not serve).
 */
export const WS_REFUSAL_STATUS = 400;

/**
 * Responses: the documented `error` event (type, code, message, param, sequence_number) plus the same
 * fields nested under `error`, which is what makes the openai SDK throw instead of yielding the event;
 * then, over HTTP, a `response.failed` event whose `response.error` carries the code and message, because Codex
 * CLI (0.171) ignores `error` events on an SSE stream and reports only "stream closed before
 * response.completed" without it. Over a WebSocket the error event alone, with `status` (WS_REFUSAL_STATUS),
 * is what Codex reports and does not retry.
 */
export function responsesErrorEvent(error: ProxyError, sequenceNumber: number, websocket = false): string[] {
  const shown = websocket ? { ...error, status: WS_REFUSAL_STATUS } : error;
  const nested = (JSON.parse(errorBody('openai', shown)) as { error: unknown }).error;
  const data = { type: 'error', ...(websocket ? { status: WS_REFUSAL_STATUS } : {}), code: error.code, message: error.message, param: null, sequence_number: sequenceNumber, error: nested };
  const errorEvent = `event: error\ndata: ${JSON.stringify(data)}\n\n`;
  if (websocket) return [errorEvent];
  const response = { object: 'response', status: 'failed', error: { code: error.code, message: error.message }, incomplete_details: null, output: [] };
  const failed = { type: 'response.failed', sequence_number: sequenceNumber + 1, response };
  return [errorEvent, `event: response.failed\ndata: ${JSON.stringify(failed)}\n\n`];
}

/**
 * Realtime: the `error` server event (`error.type`, `code`, `message`, `param`, `event_id`), which the openai
 * SDK's realtime clients and the Agents SDK surface as an error with that message and code.
 */
export function realtimeErrorEvent(error: ProxyError, clientEventId: string | null = null): string {
  const nested = (JSON.parse(errorBody('openai', error)) as { error: Record<string, unknown> }).error;
  const data = { type: 'error', event_id: `event_guardrun_${Date.now().toString(36)}`, error: { ...nested, event_id: clientEventId } };
  return `data: ${JSON.stringify(data)}\n\n`;
}

/** Anthropic Messages: `event: error` with the usual error body (`permission_error` for a 403). */
export function anthropicErrorEvent(error: ProxyError): string {
  return `event: error\ndata: ${errorBody('anthropic', error)}\n\n`;
}
