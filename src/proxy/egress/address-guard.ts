// Which address guardrun dials for a tunnel. The name is resolved once and the address dialled is the one
// checked (no second lookup a DNS rebinding could answer differently). Loopback, link-local (which includes
// cloud metadata services at 169.254.169.254) and unspecified addresses are refused unless `network.allow`
// names the address itself: otherwise any page the agent fetches could reach services on this machine
// through guardrun, guardrun's own port included.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { canonicalIp } from './network-decision.js';

const LOCAL = new BlockList();
LOCAL.addSubnet('127.0.0.0', 8, 'ipv4'); // loopback (RFC 1122)
LOCAL.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local (RFC 3927)
LOCAL.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network" (RFC 1122), reaches loopback on Linux
LOCAL.addAddress('::1', 'ipv6'); // loopback (RFC 4291)
LOCAL.addAddress('::', 'ipv6'); // unspecified
LOCAL.addSubnet('fe80::', 10, 'ipv6'); // link-local (RFC 4291)

/** True for loopback, link-local and unspecified addresses (IPv4-mapped IPv6 forms included). */
export function isLocalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return LOCAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export type Resolved = { address: string } | { refused: 'local'; addresses: string[] } | { error: string };

/**
 * Resolves `host` (an IP literal is its own answer) and picks the first address that may be dialled: not local,
 * or local and named literally in `network.allow` (`allowsAddress`). Resolves `{ refused }` when every address
 * is local and unnamed, `{ error }` when the name does not resolve.
 */
export async function resolveDialable(host: string, port: number, allowsAddress: (address: string, port: number) => boolean, resolve = lookupAll): Promise<Resolved> {
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [canonicalIp(host)];
  else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      return { error: (error as NodeJS.ErrnoException).code ?? 'ENOTFOUND' };
    }
  }
  if (addresses.length === 0) return { error: 'ENOTFOUND' };
  const dialable = addresses.find((a) => !isLocalAddress(a) || allowsAddress(a, port));
  return dialable === undefined ? { refused: 'local', addresses } : { address: dialable };
}

async function lookupAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((r) => r.address);
}
