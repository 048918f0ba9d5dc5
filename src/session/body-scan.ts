// A request body scanned for secrets once: its text, what was found, and its masked form (for the session
// file and for redaction). JSON is scanned string by string, decoded, so JSON escapes cannot hide a secret
// (`password=\"x\"` in the raw text would slip past a pattern that `password="x"` does not).
import type { Exchange } from '../proxy/types.js';
import type { CleanCheck } from '../secrets/clean-strings.js';
import { maskJson } from '../secrets/mask.js';
import { applyFindings, type Scanner } from '../secrets/scan.js';

export interface BodyScan {
  text: string;
  json: unknown;
  findings: Array<{ detector: string }>;
  masked: string;
}

/** A body scanned as a whole: JSON, text or a form (HTTP bodies say so in `bodyKind`; WebSocket events are JSON). */
export function isTextBody(ex: Exchange): boolean {
  if (ex.body.length === 0) return false;
  if (ex.bodyKind !== undefined) return ex.bodyKind === 'json' || ex.bodyKind === 'text' || ex.bodyKind === 'form';
  return ex.json !== undefined || ex.contentType.startsWith('text/');
}

export function scanBody(text: string, json: unknown, scanner: Scanner, clean?: CleanCheck): BodyScan {
  if (json !== undefined) {
    if (clean?.isClean(json)) return { text, json, findings: [], masked: text };
    const masked = maskJson(json, scanner);
    return { text, json, findings: masked.findings, masked: masked.findings.length > 0 ? JSON.stringify(masked.value) : text };
  }
  const findings = scanner.find(text);
  return { text, json, findings, masked: findings.length > 0 ? applyFindings(text, findings) : text };
}

/** The body with only what `scanner` finds redacted (guardrun's own keys, when other secrets may pass). */
export function redactWith(scan: BodyScan, scanner: Scanner): string {
  if (scan.json !== undefined) return JSON.stringify(maskJson(scan.json, scanner).value);
  return scanner.mask(scan.text).text;
}
