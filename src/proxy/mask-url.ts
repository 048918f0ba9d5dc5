// A request URL for the record: each path segment and each query parameter is masked as the upstream reads it
// (percent-decoded), so `%67%68%70_…` cannot carry a token past the masker into the session file.

/** `url` (path and query) with every segment or `name=value` pair that holds a secret replaced, percent-encoded. */
export function maskUrl(url: string, mask: (text: string) => string): string {
  const q = url.indexOf('?');
  const path = (q === -1 ? url : url.slice(0, q))
    .split('/')
    .map((segment) => {
      const decoded = decode(segment);
      const masked = mask(decoded);
      return masked === decoded ? mask(segment) : encodeURIComponent(masked);
    })
    .join('/');
  if (q === -1) return path;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const decoded = decode(pair.replace(/\+/g, ' '));
      const masked = mask(decoded);
      if (masked === decoded) return mask(pair);
      const eq = masked.indexOf('=');
      return eq === -1 ? encodeURIComponent(masked) : `${encodeURIComponent(masked.slice(0, eq))}=${encodeURIComponent(masked.slice(eq + 1))}`;
    })
    .join('&');
  return `${path}?${query}`;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
