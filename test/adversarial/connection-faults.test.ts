// Issue 10, item 8: upstream connection faults behave through guardrun as they would on a direct call. A reset
// before any answer byte (a pooled connection the upstream closed) is retried once by guardrun; a fault that
// persists reaches the SDK as a retryable 502, and the real OpenAI SDK retries it as it would without guardrun.
// A stalled upstream ends at the first-byte timeout with a clear, recorded 504 instead of minutes of silence.
import OpenAI from 'openai';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_HEADERS, OPEN_POLICY, chat, send, startGuarded } from './harness.js';

type Mode = 'reset-first' | 'reset-always' | 'stall' | 'reset-reused';
let mode: Mode = 'reset-first';
let attempts = 0;
let server: Server;
let url = '';
const sockets = new Set<Socket>();

const ANSWER = JSON.stringify({ id: 'c1', object: 'chat.completion', model: 'gpt-4.1-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } });

// A hostile upstream on raw sockets: it reads one request (headers and Content-Length body), then misbehaves.
beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let served = 0;
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      const length = Number(/content-length: *(\d+)/i.exec(buffered.subarray(0, end).toString())?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      buffered = buffered.subarray(end + 4 + length);
      attempts++;
      served++;
      const reset = mode === 'reset-always' || (mode === 'reset-first' && attempts % 2 === 1) || (mode === 'reset-reused' && served > 1);
      if (reset) socket.resetAndDestroy();
      else if (mode !== 'stall') socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(ANSWER)}\r\nconnection: keep-alive\r\n\r\n${ANSWER}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

describe('upstream connection faults', () => {
  it('a reset before any answer byte is retried once by guardrun: the agent sees 200', async () => {
    mode = 'reset-first';
    attempts = 0;
    const g = await startGuarded({ upstream: url });
    try {
      const a = await send(g, { path: '/v1/chat/completions', headers: JSON_HEADERS, body: chat('hi') });
      expect(a.status, a.body).toBe(200);
      expect(attempts).toBe(2);
    } finally {
      await g.stop();
    }
  });

  it('a pooled connection the upstream reset when reused is retried on a fresh one', async () => {
    mode = 'reset-reused';
    attempts = 0;
    const g = await startGuarded({ upstream: url });
    try {
      for (let i = 0; i < 3; i++) {
        const a = await send(g, { path: '/v1/chat/completions', headers: JSON_HEADERS, body: chat(`turn ${i}`) });
        expect(a.status, a.body).toBe(200);
      }
    } finally {
      await g.stop();
    }
  });

  it('a reset that persists is a retryable 502, and the real SDK retries it as it would the provider', async () => {
    mode = 'reset-always';
    attempts = 0;
    const g = await startGuarded({ upstream: url });
    try {
      const raw = await send(g, { path: '/v1/chat/completions', headers: JSON_HEADERS, body: chat('hi') });
      expect(raw.status).toBe(502);
      expect(raw.headers['x-should-retry']).toBe('true');
      expect(JSON.parse(raw.body).error.code).toBe('guardrun_upstream_unreachable');
      const client = new OpenAI({ baseURL: `${g.origin}/v1`, apiKey: g.key, maxRetries: 2 });
      const error = await client.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect((error as { status?: number }).status).toBe(502);
    } finally {
      const end = await g.stop();
      // The raw request plus the SDK's three attempts, each recorded with guardrun's answer.
      const answers = end.lines.filter((l) => l.type === 'response');
      expect(answers.length).toBe(4);
      for (const a of answers) expect(a).toMatchObject({ status: 502, source: 'guardrun', error: { code: 'guardrun_upstream_unreachable' } });
    }
  });

  it('a stalled upstream ends at the first-byte timeout with a clear, recorded 504', async () => {
    mode = 'stall';
    const g = await startGuarded({ upstream: url, policy: `${OPEN_POLICY}upstream:\n  first_byte_timeout_s: 1\n  first_byte_timeout_unstreamed_s: 1\n` });
    try {
      const a = await send(g, { path: '/v1/chat/completions', headers: JSON_HEADERS, body: chat('hi') });
      expect(a.status).toBe(504);
      expect(a.headers['x-should-retry']).toBe('true');
      const error = JSON.parse(a.body).error;
      expect(error.code).toBe('guardrun_upstream_timeout');
      expect(error.message).toContain('sent nothing for 1 s');
      expect(a.ms).toBeLessThan(10_000);
    } finally {
      const end = await g.stop();
      expect(end.lines.find((l) => l.type === 'response')).toMatchObject({ status: 504, error: { code: 'guardrun_upstream_timeout' } });
      expect(end.lines.at(-1)).toMatchObject({ type: 'session.end' });
    }
  });
});
