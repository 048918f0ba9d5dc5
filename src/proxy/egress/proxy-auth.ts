// The egress proxy serves the guarded child only: every proxy request carries the session's token as the
// password of HTTP Basic proxy credentials (RFC 9110 §11.7.1, RFC 7617), which the child has in the proxy URL
// it was given (`http://guardrun:<token>@127.0.0.1:PORT`). Another local process cannot use the proxy.
import type { IncomingHttpHeaders } from 'node:http';

/** The user name in the proxy URL the child gets; any name is accepted, only the password counts. */
export const PROXY_USER = 'guardrun';

/** True when `Proxy-Authorization` is Basic with the session token as password (`isToken` compares in constant time). */
export function hasProxyToken(headers: IncomingHttpHeaders, isToken: (value: string) => boolean): boolean {
  const header = headers['proxy-authorization'];
  if (typeof header !== 'string' || header.slice(0, 6).toLowerCase() !== 'basic ') return false;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon !== -1 && isToken(decoded.slice(colon + 1));
}

/** The answer to a proxy request without the token: 407 with a challenge, and a body that says what to do. */
export function proxyAuthRequired(): { status: 407; headers: Record<string, string>; body: string } {
  const body = 'guardrun: this proxy serves only the process guardrun started; use the HTTPS_PROXY it was given (with its credentials)\n';
  return {
    status: 407,
    headers: { 'proxy-authenticate': 'Basic realm="guardrun"', 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), connection: 'close' },
    body,
  };
}
