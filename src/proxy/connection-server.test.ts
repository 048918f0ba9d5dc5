import { once } from 'node:events';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createConnectionServer } from './connection-server.js';

const closers: Array<() => void> = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

/** A front that hands every connection to `server` by hand, as the loopback TLS front and the interceptor do. */
async function front(server: ReturnType<typeof createConnectionServer>): Promise<number> {
  const net = createNetServer((socket) => server.emit('connection', socket));
  net.listen(0, '127.0.0.1');
  await once(net, 'listening');
  closers.push(() => net.close(), () => server.close());
  return (net.address() as AddressInfo).port;
}

/** What a client that sends `text` and then nothing gets within `ms`: the status line of the answer, or what happened. */
function answerTo(port: number, text: string, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk;
      if (data.includes('\r\n')) {
        resolve(data.split('\r\n')[0]);
        socket.destroy();
      }
    });
    socket.on('close', () => resolve('closed without an answer'));
    setTimeout(() => {
      resolve('still open');
      socket.destroy();
    }, ms);
  });
}

describe('createConnectionServer: a server fed connections by hand still ends slow clients', () => {
  test('a client that never finishes its headers is answered 408 after headersTimeout, as on a listening server', async () => {
    const server = createConnectionServer((_req, res) => res.end('ok'), { headersTimeout: 300, requestTimeout: 0, connectionsCheckingInterval: 100 });
    const port = await front(server);
    expect(await answerTo(port, 'GET / HTTP/1.1\r\nHost: x\r\n', 3000)).toBe('HTTP/1.1 408 Request Timeout');
    expect(await answerTo(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 3000)).toBe('HTTP/1.1 200 OK');
  });

  test('closeAllConnections closes the connections it was handed', async () => {
    const server = createConnectionServer((_req, res) => res.end('ok'));
    const port = await front(server);
    const socket = connect(port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(socket, 'data'); // answered; the connection is kept alive
    const closed = once(socket, 'close');
    server.closeAllConnections();
    await closed;
    expect(socket.destroyed).toBe(true);
  });
});
