// The user's own proxy (a corporate one): guardrun takes the child's place behind it. Tunnels and plain-HTTP
// requests go through the proxy named by guardrun's own HTTPS_PROXY / HTTP_PROXY (either case), except to the
// hosts its NO_PROXY lists, as curl and most HTTP clients read those variables. ALL_PROXY is not chained.
import { BlockList, isIP } from 'node:net';
import type { Target } from './target.js';

export interface ParentProxy {
  /** `http://proxy.corp:3128` (https:// for a proxy spoken to over TLS). */
  url: URL;
  /** `proxy.corp:3128`, for the record (never the credentials). */
  label: string;
  /** `Basic …` from the URL's user name and password, when it has them. */
  authorization?: string;
}

export interface ParentProxies {
  /** The proxy for a tunnel (`https`) or a plain-HTTP request (`http`) to `target`, or undefined to go direct. */
  for(target: Target, scheme: 'https' | 'http'): ParentProxy | undefined;
  /** Why a configured proxy cannot be used (an unsupported scheme), for a start-up note; undefined when fine. */
  readonly problem?: string;
}

/** Reads the parent proxies from guardrun's environment (not the child's: the child's point at guardrun). */
export function parentProxies(env: NodeJS.ProcessEnv): ParentProxies {
  const https = parse(env.HTTPS_PROXY ?? env.https_proxy);
  const http = parse(env.HTTP_PROXY ?? env.http_proxy);
  const bypass = noProxy(env.NO_PROXY ?? env.no_proxy ?? '');
  const problem = [https, http].find((p) => p && 'problem' in p) as { problem: string } | undefined;
  return {
    problem: problem?.problem,
    for(target, scheme) {
      const chosen = scheme === 'https' ? https : http;
      if (!chosen || 'problem' in chosen || bypass(target)) return undefined;
      return chosen;
    },
  };
}

function parse(value: string | undefined): ParentProxy | { problem: string } | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value.includes('://') ? value : `http://${value}`);
  } catch {
    return { problem: `the proxy "${value.replace(/\/\/[^@/]*@/, '//…@')}" in HTTPS_PROXY/HTTP_PROXY is not a URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { problem: `only http:// and https:// proxies are chained; ${url.protocol}//${url.host} from HTTPS_PROXY/HTTP_PROXY is not used` };
  }
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const authorization = url.username
    ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
    : undefined;
  return { url, label: `${url.hostname}:${port}`, authorization };
}

/** NO_PROXY as curl reads it: `*`, host names matching themselves and their subdomains (a leading dot optional), IP addresses and CIDR ranges, each optionally with `:port`. */
function noProxy(value: string): (target: Target) => boolean {
  const entries = value.split(/[,\s]+/).map((e) => e.trim().toLowerCase()).filter(Boolean);
  if (entries.includes('*')) return () => true;
  const nets = new BlockList();
  const names: Array<{ name: string; port?: number }> = [];
  for (const entry of entries) {
    const slash = entry.indexOf('/');
    if (slash !== -1) {
      const base = entry.slice(0, slash).replace(/^\[|\]$/g, '');
      const family = isIP(base);
      try {
        if (family !== 0) nets.addSubnet(base, Number(entry.slice(slash + 1)), family === 4 ? 'ipv4' : 'ipv6');
      } catch {
        // A malformed range (`10.0.0.0/abc`) matches nothing, as curl ignores it.
      }
      continue;
    }
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (!m) continue;
    names.push({ name: m[1].replace(/^\[|\]$/g, '').replace(/^\*?\./, ''), port: m[2] === undefined ? undefined : Number(m[2]) });
  }
  return (target) => {
    const family = isIP(target.host);
    if (family !== 0 && nets.check(target.host, family === 4 ? 'ipv4' : 'ipv6')) return true;
    return names.some((n) => (n.port === undefined || n.port === target.port) && (target.host === n.name || target.host.endsWith(`.${n.name}`)));
  };
}
