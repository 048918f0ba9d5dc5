// Test helper: RequestFacts/ResponseFacts with sane values, overridden per case. Not used by guardrun itself.
import type { RequestFacts, ResponseFacts, ToolCall } from './types.js';

export function requestFacts(over: Partial<RequestFacts> = {}): RequestFacts {
  const method = over.method ?? 'POST';
  const path = over.path ?? '/v1/chat/completions';
  return {
    method,
    path,
    endpoint: `${method} ${path}`,
    provider: path.startsWith('/anthropic/') ? 'anthropic' : 'openai',
    model: 'gpt-4.1-mini',
    stream: false,
    body: undefined,
    texts: [],
    secretFindings: [],
    spendUsd: 0,
    ...over,
  };
}

export function responseFacts(toolCalls: ToolCall[], request: Partial<RequestFacts> = {}): ResponseFacts {
  return { request: requestFacts(request), toolCalls };
}
