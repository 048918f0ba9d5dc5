import { describe, expect, it, vi } from 'vitest';
import * as countWorker from '../cost/count-worker.js';
import { parsePolicy } from '../policy/parse.js';
import { rehearse } from './warm-up.js';

// Every tokenizer worker started in this file is noted (the rehearsal must never start one).
vi.mock('../cost/count-worker.js', async (actual) => {
  const real = await actual<typeof import('../cost/count-worker.js')>();
  return { ...real, createCountWorker: vi.fn(real.createCountWorker) };
});

const never = new Promise<void>(() => undefined);
const servers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

/** No server or socket is left open (handles finish closing on the next turns of the event loop). */
const closed = (): Promise<void> => vi.waitFor(() => expect({ servers: servers(), sockets: sockets() }).toEqual({ servers: 0, sockets: 0 }), { timeout: 2000, interval: 20 });

describe('the warm-up rehearsal', () => {
  it('runs a plain chat completion, a chat stream and a Messages stream through the request path, and leaves no server or socket open', async () => {
    expect(await rehearse(undefined, never)).toEqual([200, 200, 200]);
    await closed();
  });

  it("runs under the session's policy: its checks decide the rehearsal's requests too", async () => {
    const policy = parsePolicy('version: 1\nmodels:\n  deny: ["gpt-*"]\n', 'p.yaml');
    const statuses = await rehearse({ policy, source: 'p.yaml', sha256: '' }, never);
    expect(statuses).toEqual([403, 403, 200]);
    await closed();
  });

  it('counts tokens without a tokenizer worker of its own, even when the policy counts every request', async () => {
    const policy = parsePolicy('version: 1\ncost:\n  count_tokens: always\n', 'p.yaml');
    vi.mocked(countWorker.createCountWorker).mockClear();
    expect(await rehearse({ policy, source: 'p.yaml', sha256: '' }, never)).toEqual([200, 200, 200]);
    expect(countWorker.createCountWorker).not.toHaveBeenCalled();
    await closed();
  });

  it("sends nothing once the agent's first request has arrived", async () => {
    expect(await rehearse(undefined, Promise.resolve())).toEqual([]);
    await closed();
  });

  it("stops where it stands when the agent's first request arrives during it", async () => {
    let arrive = (): void => undefined;
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    const run = rehearse(undefined, arrived);
    setImmediate(arrive);
    expect((await run).length).toBeLessThan(3);
    await closed();
  });
});
