// Masking of whole JSON texts (plain bodies, stream events that carry whole text) and rewriting an
// SSE event's data. The common case, nothing found, returns the very same string so callers can send
// the original bytes.
import { maskJson } from '../../secrets/mask.js';
import { applyFindings, type Scanner } from '../../secrets/scan.js';
import type { SseEvent } from './sse.js';

export type Obj = Record<string, unknown>;

export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const looksLikeJson = (text: string): boolean => /^\s*[[{"]/.test(text);

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Text with every secret masked, kept valid JSON when it was. Without escapes the raw text is scanned
 * (cheap, and what scanner.mask does); with escapes, or when a match broke the JSON syntax, each
 * decoded string is masked instead, so a secret written with `\n` or `\u…` escapes is still found.
 */
export function maskJsonText(text: string, scanner: Scanner): string {
  if (!text.includes('\\')) {
    const findings = scanner.find(text);
    if (findings.length === 0) return text;
    const masked = applyFindings(text, findings);
    if (!looksLikeJson(text) || parses(masked)) return masked;
  }
  if (!looksLikeJson(text)) return scanner.mask(text).text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return scanner.mask(text).text;
  }
  const out = maskJson(value, scanner);
  return out.findings.length === 0 ? text : JSON.stringify(out.value);
}

/** The event with its data replaced (other fields such as `event:` and `id:` kept), as raw SSE text. */
export function withData(e: SseEvent, data: string): string {
  let out = '';
  let put = false;
  for (const line of e.raw.split(/\r\n|\n|\r/)) {
    if (line === '') continue;
    if (line.startsWith('data:')) {
      if (!put) out += 'data: ' + data.split('\n').join('\ndata: ') + '\n';
      put = true;
    } else {
      out += line + '\n';
    }
  }
  if (!put) out += 'data: ' + data.split('\n').join('\ndata: ') + '\n';
  return out + '\n';
}

/** An event that carries whole text (not a delta): masked as a unit; the raw text when nothing was found. */
export function maskWholeEvent(e: SseEvent, scanner: Scanner): string {
  if (e.data === '') return scanner.find(e.raw).length === 0 ? e.raw : scanner.mask(e.raw).text;
  const masked = maskJsonText(e.data, scanner);
  return masked === e.data ? e.raw : withData(e, masked);
}

/** Parsed JSON data of an event, or undefined when it is not a JSON object. */
export function parseData(e: SseEvent): Obj | undefined {
  try {
    const value: unknown = JSON.parse(e.data);
    return isObj(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
