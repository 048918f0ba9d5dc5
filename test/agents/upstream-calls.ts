// What the fixture upstream received as model calls, whatever the transport: each HTTP request (its body
// decoded) and each `response.create` sent over a WebSocket (Codex uses the Responses API's WebSocket mode).
import type { FakeUpstream } from '../../fixtures/fake-upstream.mjs';

export interface UpstreamCall {
  transport: 'http' | 'websocket';
  path: string;
  authorization: string | undefined;
  xApiKey: string | undefined;
  body: string;
}

export function upstreamCalls(up: FakeUpstream): UpstreamCall[] {
  const header = (h: Record<string, string | string[] | undefined>, name: string): string | undefined => {
    const v = h[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const http = up.requests
    .filter((q) => !q.websocket)
    .map((q): UpstreamCall => ({ transport: 'http', path: q.path, authorization: header(q.headers, 'authorization'), xApiKey: header(q.headers, 'x-api-key'), body: (q.decoded ?? q.body).toString('utf8') }));
  const ws = up.sockets.flatMap((s) =>
    s.received
      .filter((m): m is string => typeof m === 'string' && /"type"\s*:\s*"response\.create"/.test(m))
      .map((m): UpstreamCall => ({ transport: 'websocket', path: s.path, authorization: header(s.headers, 'authorization'), xApiKey: header(s.headers, 'x-api-key'), body: m })),
  );
  return [...http, ...ws];
}

/** Clears what the upstream has recorded (HTTP requests and WebSocket connections). */
export function clearUpstream(up: FakeUpstream): void {
  up.requests.length = 0;
  up.sockets.length = 0;
}
