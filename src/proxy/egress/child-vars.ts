// The variables that point the child's HTTP clients at guardrun's egress proxy. Both spellings: curl reads
// only the lower-case http_proxy, Go and Python read either, Node (22.21+, 24.5+) reads them when
// NODE_USE_ENV_PROXY=1. Loopback stays direct (the base URL is there); the user's own NO_PROXY entries do
// not go to the child, they decide where guardrun itself chains through the user's proxy.
import { PROXY_USER } from './proxy-auth.js';

/** Loopback, which the child reaches directly (the base URL, its own local servers). */
export const CHILD_NO_PROXY = '127.0.0.1,localhost,::1';

/** `origin` is `http://127.0.0.1:PORT`; `token` the proxy password (the session's dummy key). */
export function proxyVariables(origin: string, token: string): Record<string, string> {
  // Spelled out rather than through URL: `guardrun doctor` passes placeholders (`PORT`, `<session key>`).
  const proxy = origin.replace(/^http:\/\//, `http://${PROXY_USER}:${token}@`);
  return {
    HTTPS_PROXY: proxy,
    https_proxy: proxy,
    HTTP_PROXY: proxy,
    http_proxy: proxy,
    ALL_PROXY: proxy,
    all_proxy: proxy,
    NO_PROXY: CHILD_NO_PROXY,
    no_proxy: CHILD_NO_PROXY,
    NODE_USE_ENV_PROXY: '1',
  };
}
