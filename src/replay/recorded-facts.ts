// The policy facts of a recorded request, built the way the live guard builds them (session/request-check.ts),
// from the masked body: each `[REDACTED:<id>]` marker counts as a finding of detector <id>, so a policy that
// denies secrets still denies them on replay.
import { endpointKind } from '../cost/endpoint-kind.js';
import { estimateRequest } from '../cost/estimate.js';
import type { PriceBook } from '../cost/price-book.js';
import type { TokenCounter } from '../cost/tokens.js';
import { extractRequestTexts } from '../policy/extract.js';
import type { Policy } from '../policy/schema.js';
import type { RequestFacts, SecretFinding } from '../policy/types.js';
import type { RecordedBody, RequestEvent } from '../recording/format.js';
import type { Scanner } from '../secrets/scan.js';

const MARKER = /\[REDACTED:([A-Za-z0-9][A-Za-z0-9._:-]*)\]/g;

export interface FactsContext {
  policy: Policy;
  /** Built-in detectors plus the policy's own patterns (new patterns find what the recording did not mask). */
  scanner: Scanner;
  counter: TokenCounter;
  /** Ready (its data loaded): the policy's own prices over the bundled data. */
  book: PriceBook;
}

/** The provider API path of a recorded request, without query (`/v1/messages` for `/anthropic/v1/messages`). */
export function apiPathOf(req: Pick<RequestEvent, 'provider' | 'path'>): string {
  const path = req.path.split('?')[0];
  return req.provider === 'anthropic' && path.startsWith('/anthropic/') ? path.slice('/anthropic'.length) : path;
}

/**
 * `spendUsd`: what the session had spent when the request came (the recorded costs before it); `reservedUsd`: what
 * the requests then in flight held against the budget (the decision line's `reservedUsd`, 0 in older files).
 */
export function recordedRequestFacts(req: RequestEvent, spendUsd: number, ctx: FactsContext, reservedUsd = 0): RequestFacts {
  const json = req.body && 'json' in req.body ? req.body.json : undefined;
  const text = bodyText(req.body, req.headers?.['content-type'] ?? '');
  const apiPath = apiPathOf(req);
  const priced = json !== undefined && endpointKind(req.provider, apiPath) !== undefined;
  const endpoint = req.endpoint ?? `${req.method} ${req.path.split('?')[0]}`;
  return {
    method: req.method,
    path: endpoint.slice(req.method.length + 1),
    endpoint,
    provider: req.provider,
    model: req.model,
    stream: req.stream === true,
    body: json,
    texts: extractRequestTexts(json),
    secretFindings: text === undefined ? [] : findingsIn(text, ctx.scanner),
    estimate: priced ? estimateRequest(req.provider, apiPath, req.model, json, ctx.counter, ctx.policy.cost.assume_output_tokens, ctx.book) : undefined,
    spendUsd,
    reservedUsd,
  };
}

/** Secrets in a recorded (masked) text: the recorder's markers, plus whatever the scanner finds now. */
export function findingsIn(text: string, scanner: Scanner): SecretFinding[] {
  const markers = [...text.matchAll(MARKER)].map((m) => ({ start: m.index, end: m.index + m[0].length, detector: m[1] }));
  // A pattern that matches inside a marker found nothing new.
  const fresh = scanner.find(text).filter((f) => !markers.some((m) => f.start < m.end && f.end > m.start));
  return [...markers, ...fresh].sort((a, b) => a.start - b.start).map((f) => ({ detector: f.detector }));
}

/** The body text the live scanner would have read: JSON or text bodies only (as request-check does). */
function bodyText(body: RecordedBody | undefined, contentType: string): string | undefined {
  if (!body) return undefined;
  if ('json' in body) return JSON.stringify(body.json);
  if ('text' in body && (contentType.startsWith('text/') || contentType.includes('json'))) return body.text;
  return undefined;
}
