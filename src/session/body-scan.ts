// A request body scanned for secrets once: its text, what was found, and its masked form (for the session
// file and for redaction). JSON is scanned string by string, decoded, so JSON escapes cannot hide a secret
// (`password=\"x\"` in the raw text would slip past a pattern that `password="x"` does not).
//
// A large JSON body that continues an earlier request's conversation is scanned in parts (recording/parts-index.ts):
// the items the session file already holds are not scanned again (their findings are remembered), only the rest.
import type { Exchange } from '../proxy/types.js';
import { RECORD_LIMIT_BYTES } from '../recording/format.js';
import { splittable, type Detectors, type PartsIndex, type ScannedParts } from '../recording/parts-index.js';
import type { CleanCheck } from '../secrets/clean-strings.js';
import { maskJson } from '../secrets/mask.js';
import { applyFindings, type Scanner } from '../secrets/scan.js';

export interface BodyScan {
  text: string;
  json: unknown;
  findings: Array<{ detector: string }>;
  /** The text with every finding masked (the text itself when nothing was found); computed when first read. */
  readonly masked: string;
  /** Set when the body is to be recorded in parts: what is new, masked. */
  parts?: ScannedParts;
}

const NONE: Detectors = [];

/** A body scanned as a whole: JSON, text or a form (HTTP bodies say so in `bodyKind`; WebSocket events are JSON). */
export function isTextBody(ex: Exchange): boolean {
  if (ex.body.length === 0) return false;
  if (ex.bodyKind !== undefined) return ex.bodyKind === 'json' || ex.bodyKind === 'text' || ex.bodyKind === 'form';
  return ex.json !== undefined || ex.contentType.startsWith('text/');
}

export function scanBody(text: string, json: unknown, scanner: Scanner, clean?: CleanCheck, index?: PartsIndex): BodyScan {
  if (index && text.length <= RECORD_LIMIT_BYTES && splittable(json, text.length)) return scanParts(text, json, scanner, clean, index);
  if (json !== undefined) {
    if (clean?.isClean(json)) return { text, json, findings: [], masked: text };
    const masked = maskJson(json, scanner);
    return { text, json, findings: masked.findings, masked: masked.findings.length > 0 ? JSON.stringify(masked.value) : text };
  }
  const findings = scanner.find(text);
  return { text, json, findings, masked: findings.length > 0 ? applyFindings(text, findings) : text };
}

/** Scans the template (the body without its list fields) and the list items the session file does not hold yet. */
function scanParts(text: string, json: Record<string, unknown>, scanner: Scanner, clean: CleanCheck | undefined, index: PartsIndex): BodyScan {
  const matches = index.match(json);
  const template: Record<string, unknown> = { ...json };
  for (const m of matches) template[m.field] = null;
  const detectors: string[] = [];
  const scanOne = (value: unknown): { found: Detectors; masked: unknown } => {
    if (clean?.isClean(value)) return { found: NONE, masked: value };
    const m = maskJson(value, scanner);
    if (m.findings.length === 0) return { found: NONE, masked: value };
    return { found: m.findings.map((f) => f.detector), masked: m.value };
  };
  const top = scanOne(template);
  detectors.push(...top.found);
  const newItems = new Map<string, unknown[]>();
  const itemFindings = new Map<string, Detectors[]>();
  for (const m of matches) {
    const items = json[m.field] as unknown[];
    // The re-sent items become the earlier request's own (equal) objects: what was worked out for them by object
    // (token counts) is found again, and this body's copies are freed.
    for (let i = 0; i < m.take; i++) items[i] = m.earlier[i];
    const all = m.known.slice();
    for (const known of m.known) detectors.push(...known);
    const fresh: unknown[] = [];
    for (let i = m.take; i < items.length; i++) {
      const one = scanOne(items[i]);
      all.push(one.found);
      fresh.push(one.masked);
      detectors.push(...one.found);
    }
    newItems.set(m.field, fresh);
    itemFindings.set(m.field, all);
  }
  let masked: string | undefined;
  return {
    text,
    json,
    findings: detectors.map((detector) => ({ detector })),
    get masked() {
      masked ??= detectors.length === 0 ? text : JSON.stringify(maskJson(json, scanner).value);
      return masked;
    },
    parts: { matches, template: top.masked as Record<string, unknown>, newItems, itemFindings },
  };
}

/** The body with only what `scanner` finds redacted (guardrun's own keys, when other secrets may pass). */
export function redactWith(scan: BodyScan, scanner: Scanner): string {
  if (scan.json !== undefined) return JSON.stringify(maskJson(scan.json, scanner).value);
  return scanner.mask(scan.text).text;
}
