// guardrun's own port also answers TLS (intercept/loopback-tls.ts): a front sniffs each connection's first byte
// before the HTTP server or the TLS layer owns the socket. A hostile or sloppy local client there must not end the
// session (a reset is an error event on a socket nobody listened to), nor keep guardrun from exiting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.mjs';
import { FAKE_OPENAI_KEY, rawSocket, send, startGuarded } from './harness.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiKey: FAKE_OPENAI_KEY });
});
afterAll(async () => {
  await upstream.close();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("resets and silence on guardrun's port (plain and TLS share one front)", () => {
  it('a client that resets before its first byte, or one byte into a TLS handshake, leaves the session running', async () => {
    const g = await startGuarded({ upstream: upstream.url });
    try {
      const silent = await rawSocket(g.port);
      silent.on('error', () => undefined);
      await pause(100); // accepted and waiting for its first byte
      silent.resetAndDestroy();
      const handshake = await rawSocket(g.port);
      handshake.on('error', () => undefined);
      handshake.write(Buffer.from([0x16]));
      await pause(100);
      handshake.resetAndDestroy();
      await pause(200);
      const a = await send(g, { method: 'GET', path: '/v1/models' });
      expect(a.status, a.error ?? a.body).toBe(200);
    } finally {
      const r = await g.stop();
      expect(r.stderr).not.toMatch(/internal error|E_INTERNAL/);
      expect(r.exitCode).toBe(143); // stopped by the signal, not by a crash (70)
      expect(r.lines.at(-1)).toMatchObject({ type: 'session.end' });
    }
  });

  it('connections that send nothing, or stop one byte into a TLS handshake, do not hold guardrun at exit', async () => {
    const g = await startGuarded({ upstream: upstream.url });
    const idle = await rawSocket(g.port);
    const half = await rawSocket(g.port);
    for (const s of [idle, half]) s.on('error', () => undefined);
    half.write(Buffer.from([0x16]));
    await pause(100);
    const r = await g.stop();
    expect(r.exitCode).toBe(143);
    expect(r.ms).toBeLessThan(10_000); // the first-byte wait is 60 s, the handshake's 15 s
    await new Promise<void>((resolve) => {
      if (idle.destroyed) resolve();
      idle.once('close', () => resolve());
      setTimeout(resolve, 5_000);
    });
    expect(idle.destroyed).toBe(true); // guardrun closed it (its process is gone)
  });

  it('a handshake that fails for a reason other than the certificate is written down as tls-failed, not as a CA the client distrusts', async () => {
    const g = await startGuarded({ upstream: upstream.url });
    try {
      const garbage = await rawSocket(g.port);
      garbage.on('error', () => undefined);
      // A TLS handshake record header, then bytes that are no ClientHello.
      garbage.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x40]), Buffer.alloc(64, 0x41)]));
      await pause(300);
      garbage.destroy();
      const a = await send(g, { method: 'GET', path: '/v1/models' });
      expect(a.status, a.error ?? a.body).toBe(200);
    } finally {
      const r = await g.stop();
      const bypasses = r.lines.filter((l) => l.type === 'bypass');
      expect(bypasses).toEqual([expect.objectContaining({ host: '127.0.0.1', reason: 'tls-failed' })]);
      expect(bypasses[0].message).not.toMatch(/does not trust/);
    }
  });
});
