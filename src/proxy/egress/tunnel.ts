// An opaque tunnel: bytes both ways, unread, counted; one `egress` line when it ends.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface TunnelEnd {
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
  /** Why it ended, when not by a plain close of either side (`ECONNRESET`, `session ended`). */
  error?: string;
}

export interface OpenTunnel {
  /** Ends the tunnel (the session is closing); `done` then resolves with `error: reason`. */
  close(reason: string): void;
  done: Promise<TunnelEnd>;
}

/**
 * Joins the agent's socket (already answered 200) and the far end. `head` is what the agent sent after its
 * CONNECT request in the same packet. Either side closing or failing closes both.
 */
export function joinTunnel(client: Duplex, far: Socket, head: Buffer, startedMs: number): OpenTunnel {
  let bytesUp = head.length;
  let bytesDown = 0;
  let error: string | undefined;
  let finished = false;
  let resolveDone!: (end: TunnelEnd) => void;
  const done = new Promise<TunnelEnd>((resolve) => (resolveDone = resolve));
  const finish = (why?: string): void => {
    if (finished) return;
    finished = true;
    error ??= why;
    client.destroy();
    far.destroy();
    resolveDone({ bytesUp, bytesDown, durationMs: Math.round(performance.now() - startedMs), error });
  };
  if (head.length > 0) far.write(head);
  client.on('data', (chunk: Buffer) => (bytesUp += chunk.length));
  far.on('data', (chunk: Buffer) => (bytesDown += chunk.length));
  client.pipe(far);
  far.pipe(client);
  client.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
  far.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
  client.on('close', () => finish());
  far.on('close', () => finish());
  return { close: (reason) => finish(reason), done };
}
