// Where a proxy request wants to go: a CONNECT's authority (`host:port`, RFC 9110 §9.3.6) or an absolute-form
// request target (`http://host[:port]/path`, RFC 9112 §3.2.2).

export interface Target {
  /** Lower case, without a trailing dot; an IPv6 address without its brackets. */
  host: string;
  port: number;
}

/** `host:port` or `[v6]:port`; undefined when malformed or the port is missing or out of range. */
export function parseAuthority(authority: string): Target | undefined {
  if (!/^(?:\[[0-9A-Fa-f:.]+\]|[^\s/?#@[\]:]+):\d{1,5}$/.test(authority)) return undefined;
  return fromUrl(`http://${authority}`, undefined);
}

/** An absolute-form `http://` target; undefined for anything else (an `https://` one must use CONNECT). */
export function parseAbsolute(url: string): (Target & { path: string }) | undefined {
  if (!/^http:\/\//i.test(url)) return undefined;
  const target = fromUrl(url, 80);
  if (!target) return undefined;
  const rest = url.slice(url.indexOf('/', 'http://'.length) === -1 ? url.length : url.indexOf('/', 'http://'.length));
  return { ...target, path: rest || '/' };
}

/** `host:port` as written in a CONNECT or a record, brackets around IPv6. */
export function formatTarget(t: Target): string {
  return `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

function fromUrl(text: string, defaultPort: number | undefined): Target | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.username || url.password) return undefined;
  const port = url.port === '' ? defaultPort : Number(url.port);
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (host === '') return undefined;
  return { host, port };
}
