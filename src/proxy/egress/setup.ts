// The egress side of a session, chosen at start-up: the model-host table, the session CA and the child's trust
// files (unless --no-intercept), the proxy itself once the loopback server exists, and the child's variables.
import type { ApprovalAnswer, ApprovalRequest } from '../../approval/types.js';
import type { NetworkPolicy } from '../../policy/schema.js';
import type { Provider } from '../../providers.js';
import type { Recorder } from '../../recording/recorder.js';
import type { HandlerOptions } from '../http/handle.js';
import { createInterceptor } from '../intercept/interceptor.js';
import { modelHosts } from '../intercept/model-hosts.js';
import { createSessionCa, type SessionCa } from '../intercept/session-ca.js';
import { writeTrustFiles, type TrustFiles } from '../intercept/trust-files.js';
import type { Upstream } from '../upstream.js';
import type { LoopbackTls } from '../intercept/loopback-tls.js';
import { refusedCertificate } from '../intercept/terminate-tls.js';
import { proxyVariables } from './child-vars.js';
import { parentProxies } from './parent-proxy.js';
import { createEgressLog, type EgressSummary } from './egress-log.js';
import { createEgressProxy, type EgressProxy } from './egress-proxy.js';

export interface EgressOptions {
  sessionId: string;
  recorder: Recorder;
  mask: (text: string) => string;
  upstreams: Partial<Record<Provider, Upstream>>;
  network: NetworkPolicy;
  /** False with --no-intercept: CONNECTs to model hosts are refused instead. */
  intercept: boolean;
  /** guardrun's own environment (the user's proxy and trust settings). */
  parentEnv: NodeJS.ProcessEnv;
  ask(q: ApprovalRequest): Promise<ApprovalAnswer>;
  spendUsd(): number;
  /** Where the trust files' private directory goes (default: the OS temp dir). */
  trustDir?: string;
}

export interface SessionEgress {
  /** For startProxy: builds the proxy around the base URL handler's options. */
  proxy(handler: HandlerOptions & { nextId: () => number; nextConnection: () => number }): EgressProxy;
  /** TLS on guardrun's port (a leaf for 127.0.0.1 from the session CA) for clients that insist on it; absent when not intercepting. */
  loopbackTls?: (port: number) => LoopbackTls;
  /** The child's proxy and trust variables, for a proxy reachable at `origin` (`http://127.0.0.1:PORT`). */
  childEnv(origin: string, token: string): Record<string, string>;
  /** What the user should know about the set-up: interception off though wanted (the CA could not be made), a proxy of theirs that cannot be chained. */
  readonly problem?: string;
  readonly intercepting: boolean;
  readonly trust?: TrustFiles;
  summary(): EgressSummary;
  /** Removes the trust files. Synchronous and idempotent (it also runs on the crash path). */
  cleanup(): void;
}

/**
 * Makes the session CA and writes the trust files (before the child starts: some clients read them at
 * start-up, and Codex refuses to start when CODEX_CA_CERTIFICATE names a missing file). Leaf certificates and
 * the TLS machinery wait for the first CONNECT to a model host. A CA that cannot be made turns interception
 * off (model hosts are then refused, never tunnelled) and says why in `problem`.
 */
export async function prepareEgress(o: EgressOptions): Promise<SessionEgress> {
  const hosts = modelHosts(o.upstreams);
  const log = createEgressLog(o.recorder, o.mask);
  let ca: SessionCa | undefined;
  let trust: TrustFiles | undefined;
  let problem: string | undefined;
  if (o.intercept) {
    try {
      ca = await createSessionCa(o.sessionId, hosts.permittedDns);
      trust = writeTrustFiles(ca.certPem, o.parentEnv, o.trustDir);
    } catch (error) {
      problem = `model hosts cannot be intercepted (${(error as Error).message}); direct connections to them will be refused`;
      ca = undefined;
    }
  }
  const parentProblem = parentProxies(o.parentEnv).problem;
  if (parentProblem) problem = problem ? `${problem}; ${parentProblem}` : parentProblem;
  const intercepting = ca !== undefined && trust !== undefined;
  let egress: EgressProxy | undefined;
  return {
    problem,
    intercepting,
    trust,
    proxy(handler) {
      const interceptor = intercepting ? createInterceptor({ ca: Promise.resolve(ca!), handler, bypass: (e) => log.bypass(e) }) : undefined;
      egress = createEgressProxy({
        token: handler.dummyKey, log, network: o.network, hosts, interceptor,
        interceptOff: intercepting ? undefined : o.intercept ? 'intercept-unavailable' : 'no-intercept',
        parentEnv: o.parentEnv, ask: o.ask, spendUsd: o.spendUsd,
      });
      return egress;
    },
    loopbackTls: intercepting
      ? (port) => ({
          context: () => ca!.contextFor('127.0.0.1'),
          refused: (error) =>
            log.bypass(refusedCertificate(error)
              ? { host: '127.0.0.1', port, reason: 'untrusted-ca', status: 200, message: `a client opened TLS to guardrun's own port and broke off the handshake (${error.code ?? error.message}): it does not trust guardrun's session CA, so its call did not happen; give it the CA (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE) or use the plain http:// base URL` }
              : { host: '127.0.0.1', port, reason: 'tls-failed', status: 200, message: `a TLS handshake on guardrun's own port failed (${error.code ?? error.message}) before any request, so no call happened` }),
        })
      : undefined,
    childEnv(origin, token) {
      return { ...proxyVariables(origin, token), ...(trust?.env ?? {}) };
    },
    summary: () => log.summary(),
    cleanup() {
      trust?.remove();
    },
  };
}
