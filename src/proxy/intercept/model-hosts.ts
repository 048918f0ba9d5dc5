// The model hosts: where a CONNECT is intercepted into the guard (or refused), never tunnelled. One list,
// documented in docs/security.md ("Model hosts"). Every other host is egress (src/proxy/egress/).
import type { Provider } from '../../providers.js';
import type { Upstream } from '../upstream.js';

export interface ModelHostEntry {
  /** Lower-case host, or `*.suffix` for every subdomain of `suffix`. */
  host: string;
  provider: Provider;
  /** Served only when guardrun's upstream for the provider is this very host (Azure resources: each is a separate endpoint with its own key). */
  onlyAsUpstream?: boolean;
}

/** The provider hosts guardrun knows (OpenAI, Anthropic and Azure OpenAI / Azure AI Foundry endpoints). */
export const MODEL_HOSTS: readonly ModelHostEntry[] = [
  { host: 'api.openai.com', provider: 'openai' },
  { host: 'api.anthropic.com', provider: 'anthropic' },
  { host: '*.openai.azure.com', provider: 'openai', onlyAsUpstream: true },
  { host: '*.cognitiveservices.azure.com', provider: 'openai', onlyAsUpstream: true },
  { host: '*.services.ai.azure.com', provider: 'openai', onlyAsUpstream: true },
];

/** What a CONNECT target is to guardrun. */
export type ModelTarget =
  | { kind: 'served'; host: string; port: number; provider: Provider; upstream: Upstream | undefined }
  | { kind: 'not-served'; host: string; port: number; provider: Provider; reason: string };

export interface ModelHosts {
  /** The model host `host:port` is, or undefined for egress. `host` must be lower case, without brackets. */
  classify(host: string, port: number): ModelTarget | undefined;
  /** DNS names the session CA may sign leaves for (each with its subdomains). */
  readonly permittedDns: string[];
}

/**
 * The table for a session: the fixed list plus the host of each configured upstream that is a DNS name (a
 * gateway, an Azure resource), which is matched on its port too. `upstreams` is what guardrun forwards to.
 */
export function modelHosts(upstreams: Partial<Record<Provider, Upstream>>): ModelHosts {
  const fromUpstreams: Array<{ host: string; port: number; provider: Provider; upstream: Upstream }> = [];
  for (const upstream of Object.values(upstreams)) {
    if (!upstream) continue;
    const url = new URL(upstream.url);
    if (isAddress(url.hostname) || url.hostname === 'localhost') continue;
    fromUpstreams.push({ host: url.hostname.toLowerCase(), port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), provider: upstream.provider, upstream });
  }
  const permitted = new Set<string>();
  for (const entry of MODEL_HOSTS) permitted.add(entry.host.replace(/^\*\./, ''));
  for (const u of fromUpstreams) permitted.add(u.host);
  return {
    permittedDns: [...permitted],
    classify(host, port) {
      const own = fromUpstreams.find((u) => u.host === host && u.port === port);
      if (own) return { kind: 'served', host, port, provider: own.provider, upstream: own.upstream };
      const entry = MODEL_HOSTS.find((e) => matches(e.host, host));
      if (!entry) return undefined;
      if (entry.onlyAsUpstream) {
        const configured = upstreams[entry.provider]?.url ?? 'none';
        return { kind: 'not-served', host, port, provider: entry.provider, reason: `guardrun's ${entry.provider} upstream is ${configured}, not ${host}; to guard this endpoint, start guardrun with --upstream https://${host}` };
      }
      return { kind: 'served', host, port, provider: entry.provider, upstream: upstreams[entry.provider] };
    },
  };
}

function matches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return host === pattern;
}

/**
 * A parsed URL's hostname that is an IP address. The WHATWG URL parser writes IPv6 in brackets and IPv4 as four
 * decimals (`http://127.1` has hostname `127.0.0.1`), so this needs no `net.isIP`, whose first call costs ~3 ms
 * of `guardrun -- true` (it compiles its IPv6 pattern).
 */
export function isAddress(hostname: string): boolean {
  return hostname.startsWith('[') || /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
