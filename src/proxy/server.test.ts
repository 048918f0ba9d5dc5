import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createDiscardingRecorder } from '../recording/recorder.js';
import { createSessionGuard, newSessionStats, noApprover } from '../session/session-guard.js';
import { startProxy } from './server.js';

const DUMMY = 'sk-guardrun-test-dummy-000000000000';

async function proxy() {
  const recorder = createDiscardingRecorder();
  const guard = createSessionGuard({ keys: [], dummyKey: DUMMY, stats: newSessionStats(), recorder, approver: noApprover() });
  const server = await startProxy({ dummyKey: DUMMY, keys: {}, upstreams: {}, recorder, guard, maxBodyBytes: 1024 });
  return { server, close: async () => { await server.close(); guard.close(); } };
}

const settled = (p: Promise<void>): Promise<boolean> => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 100))]);

describe('startProxy: the first request', () => {
  it('is told when a request arrives, not when a connection is merely opened', async () => {
    const { server, close } = await proxy();
    try {
      const socket = connect(server.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      expect(await settled(server.firstRequest)).toBe(false);
      const res = await fetch(`${server.origin}/v1/models`, { headers: { authorization: `Bearer ${DUMMY}` } });
      await res.arrayBuffer();
      expect(res.status).toBe(401); // no key held; the request still counts as the first
      expect(await settled(server.firstRequest)).toBe(true);
      socket.destroy();
    } finally {
      await close();
    }
  });
});
