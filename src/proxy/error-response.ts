// Errors guardrun answers itself, in the provider's own error JSON so SDKs surface them cleanly.
import type { Provider } from '../providers.js';

export interface ProxyError {
  status: number;
  /** Stable code: a rule id for denials, or guardrun_* for guardrun's own conditions. */
  code: string;
  message: string;
  /**
   * A fault a client talking to the provider directly would retry (the upstream reset the connection, or sent
   * nothing in time): answered without `x-should-retry: false`, so SDKs retry as they would without guardrun.
   */
  retryable?: boolean;
}

const OPENAI_TYPE: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_denied',
  404: 'not_found_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  502: 'upstream_error',
  504: 'upstream_error',
};

const ANTHROPIC_TYPE: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  415: 'invalid_request_error',
  502: 'api_error',
  504: 'api_error',
};

export function errorBody(provider: Provider, error: ProxyError): string {
  if (provider === 'anthropic') {
    const type = ANTHROPIC_TYPE[error.status] ?? 'api_error';
    return JSON.stringify({ type: 'error', error: { type, message: error.message, code: error.code } });
  }
  const type = OPENAI_TYPE[error.status] ?? 'guardrun_error';
  return JSON.stringify({ error: { message: error.message, type, param: null, code: error.code } });
}

/**
 * Headers for a guardrun answer. Its own refusals carry `x-should-retry: false`, which stops the SDKs' automatic
 * retries (openai-node, anthropic-sdk and their Python twins read it); an upstream fault they would retry
 * without guardrun (`retryable`) says `x-should-retry: true` instead.
 */
export function errorHeaders(body: string, retryable = false): Record<string, string> {
  return {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'x-should-retry': retryable ? 'true' : 'false',
    'x-guardrun': retryable ? 'upstream-fault' : 'denied',
  };
}
