// The forward proxy the child's HTTPS_PROXY / HTTP_PROXY point at (the same loopback server as the base URL:
// CONNECT and absolute-form requests come here, origin-form ones go to the guard's handler as before).
// - Proxy credentials: the session token, or 407.
// - A model host (intercept/model-hosts.ts): intercepted into the guard, or refused with 403 and a `bypass`
//   line when interception is off or impossible. Never tunnelled.
// - Any other host: the policy's `network` lists decide, then the tunnel is opened (directly to the checked
//   address, or through the user's own proxy), passed on unread and written down as an `egress` line.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ApprovalAnswer, ApprovalRequest } from '../../approval/types.js';
import type { NetworkPolicy } from '../../policy/schema.js';
import type { BypassEvent } from '../../recording/format.js';
import { secretMatcher } from '../../secrets/dummy-key.js';
import type { Interceptor } from '../intercept/interceptor.js';
import type { ModelHosts, ModelTarget } from '../intercept/model-hosts.js';
import { createAdmission, type Admitted, type Refused } from './admit.js';
import { dialDirect, dialThrough, DialError } from './dial.js';
import type { EgressLog, EgressSummary } from './egress-log.js';
import { forwardHttp } from './forward-http.js';
import { createNetworkDecider } from './network-decision.js';
import { parentProxies } from './parent-proxy.js';
import { hasProxyToken, proxyAuthRequired } from './proxy-auth.js';
import { formatTarget, parseAbsolute, parseAuthority, type Target } from './target.js';
import { joinTunnel, type OpenTunnel } from './tunnel.js';

export interface EgressProxyOptions {
  /** The proxy password the child was given (the session's dummy key). */
  token: string;
  log: EgressLog;
  network: NetworkPolicy;
  hosts: ModelHosts;
  /** Undefined when model hosts are not intercepted; `interceptOff` then says why. */
  interceptor: Interceptor | undefined;
  interceptOff?: 'no-intercept' | 'intercept-unavailable';
  /** guardrun's own environment: the user's HTTPS_PROXY / HTTP_PROXY / NO_PROXY to chain through. */
  parentEnv: NodeJS.ProcessEnv;
  ask(q: ApprovalRequest): Promise<ApprovalAnswer>;
  spendUsd(): number;
  /** Name resolution (tests replace it). */
  resolve?: (host: string) => Promise<string[]>;
}

export interface EgressProxy {
  /** The server's `connect` event. */
  connect(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** An absolute-form request (`GET http://host/path`). */
  request(req: IncomingMessage, res: ServerResponse): void;
  /** Ends open tunnels and intercepted connections; resolves once they are written down (bounded). */
  closeAll(): Promise<void>;
  summary(): EgressSummary;
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 407: 'Proxy Authentication Required', 502: 'Bad Gateway', 504: 'Gateway Timeout' };

export function createEgressProxy(o: EgressProxyOptions): EgressProxy {
  const isToken = secretMatcher(o.token);
  const parents = parentProxies(o.parentEnv);
  const decider = createNetworkDecider(o.network);
  const admit = createAdmission({ decider, parents, ask: o.ask, spendUsd: o.spendUsd, resolve: o.resolve });
  const tunnels = new Set<OpenTunnel>();
  const pending = new Set<Promise<void>>();

  const track = (work: Promise<void>): void => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };

  /**
   * A model host reached around the base URL: intercepted when possible, else refused, never tunnelled. Returns the
   * refusal's message (its `bypass` line written), or undefined when the call can be intercepted.
   */
  const refuseModel = (model: ModelTarget): string | undefined => {
    const refusal = modelRefusal(model);
    if (!refusal) return undefined;
    o.log.bypass({ host: model.host, port: model.port, provider: model.provider, status: 403, ...refusal });
    return refusal.message;
  };
  const modelRefusal = (model: ModelTarget): { reason: BypassEvent['reason']; message: string } | undefined => {
    const shown = formatTarget(model);
    if (model.kind === 'not-served') return { reason: 'not-served', message: `guardrun refused a direct connection to the model host ${shown}: ${model.reason}` };
    if (!o.interceptor) {
      return o.interceptOff === 'intercept-unavailable'
        ? { reason: 'intercept-unavailable', message: `guardrun refused a direct connection to the model host ${shown}: interception is unavailable (the session CA could not be made), and model calls must not go around the guard; point the program at OPENAI_BASE_URL / ANTHROPIC_BASE_URL` }
        : { reason: 'no-intercept', message: `guardrun refused a direct connection to the model host ${shown}: with --no-intercept, model calls must use OPENAI_BASE_URL / ANTHROPIC_BASE_URL (the program ignored them)` };
    }
    return undefined;
  };

  async function onConnect(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const target = parseAuthority(req.url ?? '');
    if (!target) return answer(socket, 400, 'guardrun: CONNECT needs a host:port target\n');
    if (!hasProxyToken(req.headers, isToken)) return answerAuth(socket);
    const model = o.hosts.classify(target.host, target.port);
    if (model) {
      const refused = refuseModel(model);
      if (refused) return answer(socket, 403, `${refused}\n`);
      const served = model as Extract<ModelTarget, { kind: 'served' }>;
      if (!(await o.interceptor!.prepare(served))) return answer(socket, 403, `guardrun refused a direct connection to the model host ${formatTarget(target)}: it could not be intercepted, and model calls must not go around the guard\n`);
      if (socket.destroyed) return;
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      o.interceptor!.takeOver(socket, head, served);
      return;
    }
    const id = o.log.nextId();
    const started = performance.now();
    const time = new Date().toISOString();
    const admitted = await admit(target, 'https', id);
    if (!admitted.ok) {
      record(id, time, 'CONNECT', target, admitted, undefined, { status: admitted.status, bytesUp: 0, bytesDown: 0, durationMs: ms(started) });
      return answer(socket, admitted.status, `guardrun refused the connection to ${formatTarget(target)}: ${admitted.reason}\n`);
    }
    if (admitted.unresolved) {
      record(id, time, 'CONNECT', target, admitted, undefined, { status: 502, bytesUp: 0, bytesDown: 0, durationMs: ms(started), error: admitted.unresolved });
      return answer(socket, 502, `guardrun could not reach ${formatTarget(target)}: the name does not resolve (${admitted.unresolved})\n`);
    }
    let far: Socket;
    try {
      far = admitted.parent ? await dialThrough(admitted.parent, target) : await dialDirect(admitted.address!, target.port);
    } catch (error) {
      const e = error instanceof DialError ? error : new DialError(502, (error as Error).message);
      record(id, time, 'CONNECT', target, admitted, undefined, { status: e.status, bytesUp: 0, bytesDown: 0, durationMs: ms(started), error: e.code });
      return answer(socket, e.status, `guardrun could not reach ${formatTarget(target)} (${e.code})\n`);
    }
    if (socket.destroyed) {
      far.destroy();
      record(id, time, 'CONNECT', target, admitted, undefined, { status: 499, bytesUp: 0, bytesDown: 0, durationMs: ms(started), error: 'the agent left before the tunnel opened' });
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    const tunnel = joinTunnel(socket, far, head, started);
    tunnels.add(tunnel);
    const end = await tunnel.done;
    tunnels.delete(tunnel);
    record(id, time, 'CONNECT', target, admitted, undefined, { status: 200, ...end });
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = parseAbsolute(req.url ?? '');
    if (!target) return respond(res, 400, 'guardrun: a proxy request needs an absolute http:// URL (use CONNECT for https)\n');
    if (!hasProxyToken(req.headers, isToken)) {
      const auth = proxyAuthRequired();
      req.resume();
      res.writeHead(auth.status, auth.headers);
      res.end(auth.body);
      return;
    }
    const model = o.hosts.classify(target.host, target.port);
    if (model) {
      const refused = refuseModel(model);
      if (refused) return respond(res, 403, `${refused}\n`);
      o.interceptor!.request(req, res, model as Extract<ModelTarget, { kind: 'served' }>);
      return;
    }
    const id = o.log.nextId();
    const started = performance.now();
    const time = new Date().toISOString();
    const method = req.method ?? 'GET';
    const admitted = await admit(target, 'http', id);
    if (!admitted.ok) {
      record(id, time, method, target, admitted, target.path, { status: admitted.status, bytesUp: 0, bytesDown: 0, durationMs: ms(started) });
      return respond(res, admitted.status, `guardrun refused the request to ${formatTarget(target)}: ${admitted.reason}\n`);
    }
    if (admitted.unresolved) {
      record(id, time, method, target, admitted, target.path, { status: 502, bytesUp: 0, bytesDown: 0, durationMs: ms(started), error: admitted.unresolved });
      return respond(res, 502, `guardrun could not reach ${formatTarget(target)}: the name does not resolve (${admitted.unresolved})\n`);
    }
    const end = await forwardHttp(req, res, target, admitted);
    record(id, time, method, target, admitted, target.path, { ...end, durationMs: ms(started) });
  }

  function record(id: number, time: string, method: string, target: Target, a: Admitted | Refused, path: string | undefined, end: { status: number; bytesUp: number; bytesDown: number; durationMs: number; error?: string }): void {
    o.log.egress({
      id, time, method, host: target.host, port: target.port, path,
      verdict: a.ok ? 'allow' : 'deny', decidedBy: a.decidedBy, rule: a.rule, pattern: a.pattern,
      reason: a.ok ? undefined : a.reason,
      address: a.ok ? a.address : undefined, via: a.ok ? a.parent?.label : undefined,
      ...end,
    });
  }

  return {
    connect(req, socket, head) {
      socket.on('error', () => undefined);
      track(onConnect(req, socket, head).catch(() => answer(socket, 502, 'guardrun: internal error in the egress proxy\n')));
    },
    request(req, res) {
      track(onRequest(req, res).catch(() => {
        if (!res.headersSent) respond(res, 502, 'guardrun: internal error in the egress proxy\n');
        else res.destroy();
      }));
    },
    async closeAll() {
      for (const tunnel of tunnels) tunnel.close('session ended');
      await Promise.race([Promise.allSettled([...pending, o.interceptor?.closeAll()]), new Promise((r) => setTimeout(r, 3_000).unref())]);
    },
    summary: () => o.log.summary(),
  };
}

function ms(started: number): number {
  return Math.round(performance.now() - started);
}

/** A raw HTTP answer on a CONNECT socket, then close. */
function answer(socket: Duplex, status: number, body: string): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

function answerAuth(socket: Duplex): void {
  const auth = proxyAuthRequired();
  const head = Object.entries(auth.headers).map(([k, v]) => `${k}: ${v}`).join('\r\n');
  socket.end(`HTTP/1.1 407 ${REASONS[407]}\r\n${head}\r\n\r\n${auth.body}`);
}

function respond(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), connection: 'close' });
  res.end(body);
}
