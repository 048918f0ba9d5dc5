import { once } from 'node:events';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { afterEach, describe, expect, test } from 'vitest';
import { acceptConnection } from './loopback-tls.js';

const closers: Array<() => void> = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

/** A front like the loopback port's, whose TLS context is made only when `make` is called. */
async function front(): Promise<{ port: number; pending: Set<Socket>; served: Socket[]; asked: Promise<void>; make(): void }> {
  const pending = new Set<Socket>();
  const served: Socket[] = [];
  let make!: (context: SecureContext) => void;
  const context = new Promise<SecureContext>((resolve) => (make = resolve));
  let onAsked!: () => void;
  const asked = new Promise<void>((resolve) => (onAsked = resolve));
  const tls = {
    context: () => {
      onAsked();
      return context;
    },
    refused: () => undefined,
  };
  const server = createNetServer((socket) => acceptConnection(socket, (c) => served.push(c), tls, pending));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => {
    for (const s of [...pending, ...served]) s.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, pending, served, asked, make: () => make(createSecureContext({})) };
}

describe('acceptConnection', () => {
  test('a TLS client still waiting for the context when the server closes is closed with it and never served', async () => {
    const f = await front();
    const client = connect(f.port, '127.0.0.1');
    client.on('error', () => undefined);
    const closed = new Promise<string>((resolve) => {
      client.once('close', () => resolve('closed'));
      setTimeout(() => resolve('still open'), 3_000);
    });
    client.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00]));
    await f.asked; // sniffed as TLS; the context is being made
    for (const socket of f.pending) socket.destroy(); // what startProxy's close() does
    expect(await closed).toBe('closed');
    f.make();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(f.served).toHaveLength(0);
  });
});
