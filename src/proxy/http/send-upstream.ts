// Sending a request upstream, with the faults a direct call would meet handled as a direct call would:
// - A connection the upstream closed or reset before any byte of the answer (the classic keep-alive race: a
//   pooled connection closed by the server while idle) is retried once on a fresh connection. RFC 9110 §9.2.2
//   lets a client retry a non-idempotent request when it can tell the request was never applied; nothing of
//   the answer had arrived, the body is in memory, and the SDKs would retry the same POST on their own
//   (openai-node and anthropic-sdk retry connection errors twice) — so one transparent retry is no riskier than
//   what the agent does without guardrun, and spares it a failed call. Browsers do the same on reused sockets.
// - A second failure, or any other connection error, is answered 502 `guardrun_upstream_unreachable` marked
//   retryable (no `x-should-retry: false`), so the SDK retries as it would have.
// - No status line within the first-byte timeout (policy `upstream.first_byte_timeout_s`, or `_unstreamed_s`
//   for requests that do not stream) ends the exchange with 504 `guardrun_upstream_timeout`, also retryable:
//   the SDKs retry their own timeouts.
import type { Dispatcher } from 'undici';
import type { Provider } from '../../providers.js';
import type { ProxyError } from '../error-response.js';
import type { Upstream } from '../upstream.js';

/** Milliseconds to wait for the answer's status line. */
export interface FirstByteTimeouts {
  stream: number;
  unstreamed: number;
}

export const DEFAULT_FIRST_BYTE: FirstByteTimeouts = { stream: 300_000, unstreamed: 600_000 };

// Errors of a connection that went away before the answer began (undici names "other side closed" UND_ERR_SOCKET).
const RETRY_ONCE = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

export interface SendResult {
  response?: Dispatcher.ResponseData;
  error?: unknown;
  /** How many times the request went out (2 after a transparent retry). */
  attempts: number;
}

/** Sends once, and once more after a reset before any answer byte. Never rejects. */
export async function sendUpstream(upstream: Upstream, options: Dispatcher.RequestOptions, stream: boolean, timeouts: FirstByteTimeouts = DEFAULT_FIRST_BYTE): Promise<SendResult> {
  const request = { ...options, headersTimeout: stream ? timeouts.stream : timeouts.unstreamed };
  try {
    return { response: await upstream.pool.request(request), attempts: 1 };
  } catch (error) {
    const signal = options.signal as { aborted?: boolean } | undefined;
    if (signal?.aborted || !RETRY_ONCE.has(codeOf(error))) return { error, attempts: 1 };
    try {
      return { response: await upstream.pool.request(request), attempts: 2 };
    } catch (again) {
      return { error: again, attempts: 2 };
    }
  }
}

/** The answer for a request that got no answer from the upstream. */
export function upstreamFault(error: unknown, provider: Provider, upstream: Upstream, stream: boolean, timeouts: FirstByteTimeouts = DEFAULT_FIRST_BYTE): ProxyError {
  const code = codeOf(error);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    const seconds = Math.round((stream ? timeouts.stream : timeouts.unstreamed) / 1000);
    return {
      status: 504,
      code: 'guardrun_upstream_timeout',
      message: `the ${provider} upstream ${upstream.url} sent nothing for ${seconds} s, so guardrun ended the request (policy upstream.${stream ? 'first_byte_timeout_s' : 'first_byte_timeout_unstreamed_s'})`,
      retryable: true,
    };
  }
  return { status: 502, code: 'guardrun_upstream_unreachable', message: `guardrun could not reach the ${provider} upstream ${upstream.url}: ${code || 'unknown error'}`, retryable: true };
}

function codeOf(error: unknown): string {
  const e = error as { code?: string; message?: string; cause?: { code?: string } } | undefined;
  return e?.code ?? e?.cause?.code ?? e?.message ?? '';
}
