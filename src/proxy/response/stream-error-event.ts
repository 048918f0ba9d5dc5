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
 * Responses: the documented `error` event (type, code, message, param, sequence_number) plus the same
 * fields nested under `error`, which is what makes the openai SDK throw instead of yielding the event;
 * then a `response.failed` event whose `response.error` carries the code and message, because Codex CLI
 * (0.171) ignores `error` events and reports only "stream closed before response.completed" without it.
 */
export function responsesErrorEvent(error: ProxyError, sequenceNumber: number): string[] {
  const nested = (JSON.parse(errorBody('openai', error)) as { error: unknown }).error;
  const data = { type: 'error', code: error.code, message: error.message, param: null, sequence_number: sequenceNumber, error: nested };
  const response = { object: 'response', status: 'failed', error: { code: error.code, message: error.message }, incomplete_details: null, output: [] };
  const failed = { type: 'response.failed', sequence_number: sequenceNumber + 1, response };
  return [`event: error\ndata: ${JSON.stringify(data)}\n\n`, `event: response.failed\ndata: ${JSON.stringify(failed)}\n\n`];
}

/** Anthropic Messages: `event: error` with the usual error body (`permission_error` for a 403). */
export function anthropicErrorEvent(error: ProxyError): string {
  return `event: error\ndata: ${errorBody('anthropic', error)}\n\n`;
}
