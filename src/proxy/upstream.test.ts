import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createUpstream, loadPool } from './upstream.js';

const require = createRequire(import.meta.url);

describe('the upstream pool', () => {
  it('loads undici\'s own Pool through its module, with the request API the index adds', () => {
    const fast = loadPool();
    expect(fast).toBe(require('undici/lib/dispatcher/pool.js')); // the fast path, not the fallback
    expect(fast).toBe((require('undici') as typeof import('undici')).Pool);
    expect(typeof fast.prototype.request).toBe('function');
  });

  it('answers through a warmed pool', async () => {
    const server = createServer((req, res) => res.end('pong'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const upstream = createUpstream('openai', `http://127.0.0.1:${port}`);
    try {
      upstream.pool.warm?.();
      const res = await upstream.pool.request({ method: 'GET', path: '/ping' });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('pong');
    } finally {
      await upstream.pool.destroy();
      server.close();
    }
  });
});
