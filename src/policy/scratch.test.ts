import { test } from 'vitest';
import { parsePolicy } from './parse.js';
import { DEFAULT_POLICY } from './default.js';
const cases = [
  'version: 2\n', 'version: 1\nfoo: 1\n', 'version: 1\nmodels:\n  allow: gpt\n', 'version: 1\ncost:\n  approve_over_usd: -1\n',
  'version: 1\nrules:\n  - id: a\n    on: request\n    match: { text: "(" }\n    action: deny\n',
  'version: 1\nrules:\n  - id: a\n    on: request\n    match: { tool: "x" }\n    action: deny\n',
  'version: 1\nrules:\n  - id: a\n    on: foo\n', 'version: 1\nrules:\n  - id: a\n    on: request\n    match: {}\n    action: deny\n',
  'version: 1\nrules:\n  - id: a\n    on: request\n    match: {text: x}\n    action: deny\n  - id: a\n    on: request\n    match: {text: y}\n    action: ask\n',
  'version: 1\nendpoints:\n  allow: ["post /v1/x"]\n', 'version: 1\ncost:\n  assume_output_tokens: 1.5\n', 'a: [\n', '', 'version: 1\nsecrets:\n  outbound: block\n',
  'version: 1\nrules:\n  - on: request\n    match: {text: x}\n    action: deny\n', 'version: 1\napproval:\n  timeout_s: 0\n',  'version: 1\nrules:\n  - id: a\n    on: request\n    match: {text: x}\n',
];
test('show', () => {
  console.log(JSON.stringify(DEFAULT_POLICY));
  for (const c of cases) { try { parsePolicy(c, 'g.yaml'); console.log('OK', c); } catch (e: any) { console.log(e.message, '|', e.fix); } }
});
