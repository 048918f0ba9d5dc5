import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { renderRequest, truncateExcerpt } from './render-request.js';
import { formatUsd } from '../cost/format-usd.js';
import { sanitizeForTerminal } from '../secrets/terminal-text.js';
import type { ApprovalRequest } from './types.js';

const plain = new Chalk({ level: 0 });
const request: ApprovalRequest = {
  id: 7,
  phase: 'request',
  endpoint: 'POST /v1/chat/completions',
  model: 'gpt-4o',
  estimateUsd: 0.1234,
  spendUsd: 2.5,
  reasons: [{ rule: 'cost.threshold', reason: 'estimated $0.12 is above $0.10' }],
  excerpt: 'please summarise the report',
};

describe('renderRequest', () => {
  it('shows number, endpoint, model, estimate, spend, rules and excerpt', () => {
    const text = renderRequest(request, plain, 100);
    for (const part of ['#7', 'POST /v1/chat/completions', 'gpt-4o', 'est. $0.1234', 'session spend $2.50', 'cost.threshold', 'estimated $0.12 is above $0.10', 'please summarise the report']) {
      expect(text).toContain(part);
    }
    expect(text).not.toContain('\x1b');
  });

  it('says "price unknown" for a request without an estimate', () => {
    const text = renderRequest({ ...request, estimateUsd: undefined, model: undefined }, plain);
    expect(text).toContain('price unknown');
    expect(text).toContain('model unknown');
  });

  it("marks the response phase and shows its request's estimate, or that there is none yet (never \"price unknown\")", () => {
    const withEstimate = renderRequest({ ...request, phase: 'response', model: 'gpt-4.1-mini', estimateUsd: 0.0042 }, plain);
    expect(withEstimate).toContain('approval needed for request #7 (response)');
    expect(withEstimate).toContain('model gpt-4.1-mini · request est. $0.0042 · session spend $2.50');
    const without = renderRequest({ ...request, phase: 'response', model: 'gpt-4.1-mini', estimateUsd: undefined }, plain);
    expect(without).toContain('model gpt-4.1-mini · no estimate at this stage · session spend $2.50');
    expect(without + withEstimate).not.toContain('price unknown');
  });

  it('neutralises escape sequences from the agent or the model', () => {
    const text = renderRequest({ ...request, excerpt: 'hi\x1b[2J\x1b]0;pwned\x07 there\u202e', model: 'evil\x1b[31m' }, plain);
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\u202e]/);
    expect(text).toContain('\\x1b[2J');
  });

  it('an egress connection is a connection, not a model request: no model, no cost', () => {
    const text = renderRequest({ id: 3, kind: 'egress', phase: 'request', endpoint: 'CONNECT example.com:443', model: 'example.com:443', spendUsd: 0, reasons: [{ rule: 'network.unknown', reason: 'example.com:443 is in neither network.allow nor network.deny' }], excerpt: 'the agent opens a connection' }, plain, 100);
    expect(text).toContain('approval needed for connection #3 (egress)');
    expect(text).toContain('CONNECT example.com:443');
    expect(text).toContain('network.unknown');
    expect(text).not.toContain('model ');
    expect(text).not.toContain('price unknown');
  });

  it('uses colours only when the chalk instance has them', () => {
    expect(renderRequest(request, new Chalk({ level: 1 }))).toContain('\x1b[');
  });
});

describe('truncateExcerpt', () => {
  it('keeps a few lines, cuts long lines to the width and says what was left out', () => {
    const lines = truncateExcerpt(['one', 'two', 'x'.repeat(200), 'four', 'five', 'six'].join('\n'), 40);
    expect(lines.slice(0, 2)).toEqual(['one', 'two']);
    expect([...lines[2]].length).toBe(40);
    expect(lines[2].endsWith('…')).toBe(true);
    expect(lines).toHaveLength(5);
    expect(lines[4]).toContain('2+ more lines');
  });

  it('cuts a huge single line and says so', () => {
    const lines = truncateExcerpt('y'.repeat(5000), 60);
    expect(lines[0]).toHaveLength(60);
    expect(lines.at(-1)).toContain('more characters');
  });

  it('collapses runs of blank lines and shows (empty) for nothing', () => {
    expect(truncateExcerpt('a\n\n\n\nb', 80)).toEqual(['a', '', 'b']);
    expect(truncateExcerpt('   ', 80)).toEqual(['(empty)']);
  });
});

describe('formatUsd and sanitizeForTerminal', () => {
  it('formats small and large amounts', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.00001)).toBe('$0.000010');
    expect(formatUsd(0.000015)).toBe('$0.000015');
    expect(formatUsd(0.0000001)).toBe('<$0.000001');
    expect(formatUsd(0.0123)).toBe('$0.0123');
    expect(formatUsd(12.345)).toBe('$12.35');
  });

  it('turns newlines into spaces unless asked to keep them', () => {
    expect(sanitizeForTerminal('a\nb\tc')).toBe('a b  c');
    expect(sanitizeForTerminal('a\r\nb', true)).toBe('a\nb');
    expect(sanitizeForTerminal('\x9b')).toBe('\\x9b');
  });
});
