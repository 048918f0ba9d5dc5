// An HTTP(S) proxy on 127.0.0.1 that the agents get as HTTPS_PROXY/HTTP_PROXY: it records every attempt to
// reach anything other than loopback (CONNECT targets and absolute-form requests) and refuses it, so a test
// can show that no model call left around guardrun. Both agents honour these variables (docs/agents.md).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Egress {
  url: string;
  /** `host:port` of each attempt, in order. */
  attempts: string[];
  close(): Promise<void>;
}

export async function startEgressRecorder(): Promise<Egress> {
  const attempts: string[] = [];
  const server: Server = createServer((req, res) => {
    attempts.push(new URL(req.url ?? '/', 'http://unknown').host);
    res.writeHead(403, { 'content-length': '0', connection: 'close' }).end();
  });
  server.on('connect', (req, socket) => {
    attempts.push(req.url ?? '');
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
