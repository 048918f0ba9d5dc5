// Secrets outside a JSON body: the URL (path segments and query parameters, percent-decoded as the upstream
// reads them), the request headers that go upstream, and the parts of form and multipart bodies. Each finding
// says where it is; `masked*` say how to send the request with the secrets replaced (issue 10: with
// `secrets.outbound: deny`, a secret in the query, a header or a multipart `.env` reached the upstream).
import type { Exchange } from '../proxy/types.js';
import { applyFindings, type Scanner } from '../secrets/scan.js';
import type { BodyScan } from './body-scan.js';

export interface PlacedFinding {
  detector: string;
  /** `query`, `path`, `header x-debug`, `form field "token"`, `multipart file "file" (.env)`, `body`. */
  where: string;
}

export interface SurfaceScan {
  findings: PlacedFinding[];
  /** Path and query with each secret-bearing segment or parameter replaced; undefined when the URL is clean. */
  maskedPath?: string;
  /** Replacement values for the headers that held a secret. */
  maskedHeaders?: Record<string, string>;
  /** A form body re-encoded with its secrets replaced; undefined when its fields are clean. */
  maskedForm?: string;
  /** Places that held a secret and cannot be rewritten (multipart parts): redaction there means refusal. */
  unredactable: string[];
}

/** Scans everything of `ex` but a JSON or text body (body-scan.ts does those). */
export function scanSurface(ex: Exchange, scanner: Scanner): SurfaceScan {
  const out: SurfaceScan = { findings: [], unredactable: [] };
  const note = (detectors: Array<{ detector: string }>, where: string): void => {
    for (const f of detectors) out.findings.push({ detector: f.detector, where });
  };
  // One scan of the whole URL (decoded) and one of all header values first: most requests hold nothing there.
  // Each segment and parameter decoded on its own (one bad escape must not leave the others undecoded).
  const urlText = ex.path.split(/[/?&]/).map((part) => decode(part.replace(/\+/g, ' '))).join('\n');
  const path = mayHold(urlText, scanner) ? scanPath(ex.path, scanner, note) : undefined;
  if (path !== undefined) out.maskedPath = path;
  const headers = Object.entries(ex.headers ?? {});
  const anyHeader = mayHold(headers.map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : value}`).join('\n'), scanner);
  for (const [name, value] of anyHeader ? headers : []) {
    const text = Array.isArray(value) ? value.join(', ') : value;
    const found = scanner.find(text);
    if (found.length === 0) continue;
    note(found, `header ${name}`);
    (out.maskedHeaders ??= {})[name] = applyFindings(text, found);
  }
  if (ex.parts) {
    let formChanged = false;
    const form = new URLSearchParams();
    for (const part of ex.parts) {
      const found = scanner.find(part.text);
      if (ex.bodyKind === 'form') {
        // The part's text is `name=value`: labelled detectors see the name, as in a query.
        const masked = found.length === 0 ? part.text : applyFindings(part.text, found);
        const eq = masked.indexOf('=');
        form.append(masked.slice(0, eq), masked.slice(eq + 1));
        formChanged ||= found.length > 0;
      } else if (found.length > 0) out.unredactable.push(part.where);
      note(found, part.where);
    }
    if (formChanged) out.maskedForm = form.toString();
  }
  return out;
}

/** A form body scanned field by field, decoded (percent-encoding cannot hide a secret), for the record and redaction. */
export function scanFormBody(ex: Exchange, scanner: Scanner): BodyScan {
  const surface = scanSurface({ ...ex, path: '', headers: undefined }, scanner);
  const text = ex.text ?? '';
  return { text, json: undefined, findings: surface.findings, masked: surface.maskedForm ?? text };
}

/** Scans each path segment and each `name=value` of the query, decoded; returns the rewritten URL when one held a secret. */
function scanPath(url: string, scanner: Scanner, note: (f: Array<{ detector: string }>, where: string) => void): string | undefined {
  const q = url.indexOf('?');
  const pathPart = q === -1 ? url : url.slice(0, q);
  let changed = false;
  const segments = pathPart.split('/').map((segment) => {
    const decoded = decode(segment);
    const found = scanner.find(decoded);
    if (found.length === 0) return segment;
    note(found, 'path');
    changed = true;
    return encodeURIComponent(applyFindings(decoded, found));
  });
  let query = q === -1 ? undefined : url.slice(q + 1);
  if (query !== undefined) {
    query = query
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        const name = decode((eq === -1 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
        const value = eq === -1 ? undefined : decode(pair.slice(eq + 1).replace(/\+/g, ' '));
        const text = value === undefined ? name : `${name}=${value}`;
        const found = scanner.find(text);
        if (found.length === 0) return pair;
        note(found, 'query');
        changed = true;
        const masked = applyFindings(text, found);
        const at = value === undefined ? -1 : masked.indexOf('=');
        return at === -1 ? encodeURIComponent(masked) : `${encodeURIComponent(masked.slice(0, at))}=${encodeURIComponent(masked.slice(at + 1))}`;
      })
      .join('&');
  }
  if (!changed) return undefined;
  return segments.join('/') + (query === undefined ? '' : `?${query}`);
}

/** True when `text` may hold a secret (the detectors found something); false means nothing in it needs a closer look. */
function mayHold(text: string, scanner: Scanner): boolean {
  return text.length > 0 && scanner.find(text).length > 0;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray % is read literally, as most servers do
  }
}
