// The upstreams guardrun may reach: one connection pool per provider, fixed at start. No request picks a host.
import { createRequire } from 'node:module';
import type { Dispatcher, Pool } from 'undici';
import { GuardrunError } from '../errors.js';
import { UPSTREAM_ENV, type Provider } from '../providers.js';
import { createUpstreamSockets, type UpstreamSockets } from './websocket/upstream-socket.js';

/** What the proxy needs of an upstream connection: undici's Pool, or a recording that answers instead (replay). */
export interface UpstreamPool {
  /** Where its answers come from, for the session file; the network unless said otherwise. */
  readonly source?: 'upstream' | 'replay';
  request(options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  destroy(): Promise<void>;
  /** Loads what the first request would (the HTTP client), on a later turn of the event loop; connects nowhere. */
  warm?(): void;
}

export interface Upstream {
  provider: Provider;
  /** The URL as configured, for the session header and messages. */
  url: string;
  /** Path prefix kept from the URL (`https://gateway.example/openai` → `/openai`). */
  prefix: string;
  pool: UpstreamPool;
  /** The configured URL ended in `/v1`, which was dropped (guardrun forwards the agent's `/v1/...` paths). */
  strippedV1?: boolean;
  /** WebSocket connections to the same upstream (Responses WebSocket mode, Realtime). */
  sockets: UpstreamSockets;
}

const TEN_MINUTES_MS = 10 * 60 * 1000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Parses and checks an upstream URL: https anywhere, plain http only to loopback (a real key must not cross a network in clear). */
export function parseUpstreamUrl(provider: Provider, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new GuardrunError('E_CONFIG', `the ${provider} upstream "${value}" is not a URL`, `set ${UPSTREAM_ENV[provider]} or --upstream to a URL like https://api.${provider}.com`);
  }
  const loopback = LOOPBACK.has(url.hostname) || url.hostname.startsWith('127.');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new GuardrunError('E_CONFIG', `the ${provider} upstream ${url.origin} is not https (plain http is allowed to loopback only, so the real key never crosses a network in clear)`, 'use an https:// upstream URL');
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new GuardrunError('E_CONFIG', `the ${provider} upstream URL must not carry credentials, a query or a fragment`, 'give the bare origin and optional path prefix, e.g. https://gateway.example/openai');
  }
  return url;
}

/**
 * The upstream for `provider` at `value`. The agent's paths already start with `/v1`, so a URL ending in `/v1`
 * (what most users have in OPENAI_BASE_URL) has that segment dropped: `https://api.openai.com/v1` means
 * `https://api.openai.com`; `strippedV1` says so, for a note to the user.
 */
export function createUpstream(provider: Provider, value: string, pool?: UpstreamPool, sockets?: UpstreamSockets): Upstream {
  const url = parseUpstreamUrl(provider, value);
  let prefix = url.pathname.replace(/\/+$/, '');
  const strippedV1 = /\/v1$/.test(prefix);
  if (strippedV1) prefix = prefix.slice(0, -'/v1'.length);
  return { provider, url: url.origin + prefix, prefix, pool: pool ?? createPool(url), sockets: sockets ?? createUpstreamSockets(url), strippedV1 };
}

const require = createRequire(import.meta.url);

/**
 * undici's Pool with its request API. The Pool and API modules load in ~21 ms where the package's index (which also
 * loads fetch, WebSocket, caches and mocks) takes ~65–80 ms, all of it on the event loop the first request waits on.
 * The index does exactly this too: `Object.assign(Dispatcher.prototype, api)`. undici is pinned (7.30.2); any other
 * layout falls back to the index (upstream.test.ts checks the fast path is taken).
 */
export function loadPool(): typeof Pool {
  try {
    const PoolClass = require('undici/lib/dispatcher/pool.js') as typeof Pool;
    const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
    if (!('request' in Dispatcher.prototype)) Object.assign(Dispatcher.prototype, require('undici/lib/api/index.js') as object);
    if (typeof (PoolClass.prototype as { request?: unknown }).request === 'function') return PoolClass;
  } catch {
    // another layout: the index below
  }
  return (require('undici') as typeof import('undici')).Pool;
}

/**
 * An undici Pool made on first use: loading it costs ~25 ms of the event loop, which `guardrun -- cmd` should not
 * pay before its child starts. `warm` makes it while the child starts, so the first request does not.
 */
function createPool(url: URL): UpstreamPool {
  let pool: Pool | undefined;
  const made = (): Pool => {
    if (!pool) {
      const PoolClass = loadPool();
      pool = new PoolClass(url.origin, { headersTimeout: TEN_MINUTES_MS, bodyTimeout: TEN_MINUTES_MS, keepAliveTimeout: 30_000 });
    }
    return pool;
  };
  return {
    request: (options) => made().request(options),
    warm: () => void setImmediate(made),
    destroy: async () => {
      await pool?.destroy();
    },
  };
}
