// Which API shape a request path speaks, so usage and token counting read the right fields.
import type { Provider } from '../providers.js';

export type EndpointKind = 'chat' | 'responses' | 'completions' | 'embeddings' | 'messages' | 'realtime';

/**
 * `endpoint` is a path such as `/v1/chat/completions` (a query string, a trailing slash or a leading
 * method like `POST ` are tolerated). Matching is by suffix, so deployment-style prefixes still work.
 * Sub-resources (`/v1/responses/{id}`, `/v1/messages/count_tokens`) are not billed generations: undefined.
 */
export function endpointKind(provider: Provider, endpoint: string): EndpointKind | undefined {
  let path = endpoint;
  const q = path.indexOf('?');
  if (q !== -1) path = path.slice(0, q);
  if (path.endsWith('/')) path = path.slice(0, -1);
  if (provider === 'anthropic') return path.endsWith('/messages') ? 'messages' : undefined;
  if (path.endsWith('/chat/completions')) return 'chat';
  if (path.endsWith('/responses')) return 'responses';
  // Realtime client events (WebSocket): what each event adds to the conversation, and what `response.create` generates.
  if (path.endsWith('/realtime')) return 'realtime';
  if (path.endsWith('/embeddings')) return 'embeddings';
  if (path.endsWith('/completions')) return 'completions';
  return undefined;
}
