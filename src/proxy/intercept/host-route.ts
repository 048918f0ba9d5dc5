// Which provider route an intercepted request takes: chosen by the host the agent connected to, not by the
// `/v1` or `/anthropic` path prefix the base URL uses. The rest of the way (key check, policy, forwarding to
// guardrun's one upstream for that provider, recording) is the base URL's own handler.
import { routeOf, type Route } from '../route.js';
import type { ModelTarget } from './model-hosts.js';

/**
 * The route of `url` (origin-form path and query) sent to the intercepted `target`, or undefined when guardrun
 * does not serve that path there (answered 404). On the host of a configured upstream with a path prefix
 * (`https://gateway.example/openai`), the prefix is taken off first, so `/openai/v1/chat/completions` is the
 * same call as `/v1/chat/completions` on the base URL.
 */
export function hostRoute(target: Extract<ModelTarget, { kind: 'served' }>, url: string): Route | undefined {
  let path = url;
  const prefix = target.upstream && new URL(target.upstream.url).hostname.toLowerCase() === target.host ? target.upstream.prefix : '';
  if (prefix) {
    if (!path.startsWith(prefix + '/')) return undefined;
    path = path.slice(prefix.length);
  }
  const route = routeOf(target.provider === 'anthropic' ? `/anthropic${path}` : path);
  if (!route || route.provider !== target.provider) return undefined;
  return { ...route, host: target.host };
}
