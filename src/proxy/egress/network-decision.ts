// The policy's `network` section applied to one egress target: deny wins, then allow, then `unknown`.
// Not a second policy engine: one small decision for connections that are not model calls.
import { isIP } from 'node:net';
import { compileGlob } from '../../policy/glob.js';
import type { NetworkPolicy } from '../../policy/schema.js';
import { formatTarget, type Target } from './target.js';

export type NetworkVerdict = {
  kind: 'allow' | 'ask' | 'deny';
  /** `network.deny`, `network.allow` or `network.unknown`. */
  rule: string;
  /** The pattern that matched, when a list decided. */
  pattern?: string;
  reason: string;
};

interface CompiledPattern {
  source: string;
  host: RegExp;
  /** Undefined: any port. */
  port: number | undefined;
  /** The host part when it is an IP address (canonical): what a loopback or link-local address must be named by. */
  literal: string | undefined;
}

export interface NetworkDecider {
  decide(target: Target): NetworkVerdict;
  /** True when `network.allow` names `address` itself (no glob), for this port or any: what lets guardrun dial loopback or link-local. */
  allowsAddress(address: string, port: number): boolean;
}

/** Compiles the section once per session. Host globs are case-insensitive; `*` matches dots too. */
export function createNetworkDecider(policy: NetworkPolicy): NetworkDecider {
  const allow = policy.allow.map(compile);
  const deny = policy.deny.map(compile);
  const first = (list: CompiledPattern[], t: Target): CompiledPattern | undefined =>
    list.find((p) => (p.port === undefined || p.port === t.port) && p.host.test(t.host));
  return {
    decide(target) {
      const shown = formatTarget(target);
      const denied = first(deny, target);
      if (denied) return { kind: 'deny', rule: 'network.deny', pattern: denied.source, reason: `${shown} matches network.deny "${denied.source}"` };
      const allowed = first(allow, target);
      if (allowed) return { kind: 'allow', rule: 'network.allow', pattern: allowed.source, reason: `${shown} matches network.allow "${allowed.source}"` };
      const reason = `${shown} is in neither network.allow nor network.deny (network.unknown: ${policy.unknown})`;
      return { kind: policy.unknown, rule: 'network.unknown', reason };
    },
    allowsAddress(address, port) {
      const wanted = canonicalIp(address.toLowerCase());
      return allow.some((p) => p.literal === wanted && (p.port === undefined || p.port === port));
    },
  };
}

function compile(source: string): CompiledPattern {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+|\*))?$/.exec(source);
  const hostPart = (m?.[1] ?? source).replace(/^\[|\]$/g, '').toLowerCase();
  const portPart = m?.[2];
  return {
    source,
    host: compileGlob(hostPart, { ignoreCase: true }),
    port: portPart === undefined || portPart === '*' ? undefined : Number(portPart),
    literal: isIP(hostPart) !== 0 ? canonicalIp(hostPart) : undefined,
  };
}

/** One spelling per address (`0:0:0:0:0:0:0:1` → `::1`), as the WHATWG URL parser writes it. */
export function canonicalIp(address: string): string {
  return isIP(address) === 6 ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}
