// Which provider a request path belongs to, and the path to send upstream.
import type { Provider } from '../providers.js';

export interface Route {
  provider: Provider;
  /** Path (with query) as the upstream expects it, before the upstream URL's own prefix. */
  upstreamPath: string;
  /** Path without query, as the agent's provider API names it (`/v1/chat/completions`, `/v1/messages`). */
  apiPath: string;
  /** The model host the agent addressed, when guardrun intercepted the call (proxy/intercept/); absent on the base URL. */
  host?: string;
}

const ANTHROPIC_PREFIX = '/anthropic';

// Dot segments, encoded dots/slashes/backslashes, backslashes and empty segments could be normalised by
// something between guardrun and the provider into a path the policy never saw.
const PATH_TRICK = /(?:^|\/)\.{1,2}(?:\/|$|\?)|%2e|%2f|%5c|\\|\/\/|#/i;

/** True when the path (before the query) holds a segment a proxy or CDN on the way might rewrite. */
export function hasPathTrick(url: string): boolean {
  const q = url.indexOf('?');
  return PATH_TRICK.test(q === -1 ? url : url.slice(0, q));
}

export function routeOf(url: string): Route | undefined {
  if (url.startsWith('/v1/') || url === '/v1' || url.startsWith('/v1?')) {
    return { provider: 'openai', upstreamPath: url, apiPath: pathOnly(url) };
  }
  if (url.startsWith(ANTHROPIC_PREFIX + '/')) {
    const rest = url.slice(ANTHROPIC_PREFIX.length);
    return { provider: 'anthropic', upstreamPath: rest, apiPath: pathOnly(rest) };
  }
  return undefined;
}

function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
