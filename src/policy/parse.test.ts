import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { GuardrunError } from '../errors.js';
import { parsePolicy } from './parse.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/policies/${name}`, import.meta.url), 'utf8');

function errorOf(text: string, file = 'guardrun.yaml'): GuardrunError {
  try {
    parsePolicy(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(GuardrunError);
    return error as GuardrunError;
  }
  throw new Error('expected parsePolicy to throw');
}

describe('parsePolicy: errors name the file, the line and the key', () => {
  test.each([
    ['invalid-yaml.yaml', /^invalid-yaml\.yaml:4: invalid YAML: /],
    ['invalid-unknown-key.yaml', /^invalid-unknown-key\.yaml:4: models: unknown key "alow" \(expected one of: allow, deny, unknown\)/],
    ['invalid-type.yaml', /^invalid-type\.yaml:4: cost\.session_budget_usd: expected a number, got the string "five dollars"/],
    ['invalid-regex.yaml', /^invalid-regex\.yaml:11: rules\[1\] \(id: broken-rule\)\.match\.arguments: expected a valid regular expression \(.*Unterminated group\)/],
    ['invalid-duplicate-id.yaml', /^invalid-duplicate-id\.yaml:7: rules\[1\] \(id: same\)\.id: expected a unique rule id \("same" is also used by rules\[0\]\)/],
  ])('%s', (name, message) => {
    const error = errorOf(fixture(name), name);
    expect(error.code).toBe('E_POLICY');
    expect(error.exitCode).toBe(78);
    expect(error.message).toMatch(message);
    expect(error.fix).toMatch(/line \d+ of /);
  });

  test.each([
    ['version: 2\n', 1, 'version: expected 1'],
    ['version: 1\nfoo: 1\n', 2, 'unknown key "foo"'],
    ['endpoints: {}\n', 1, 'version: missing'],
    ['version: 1\n\n\nmodels:\n  allow: gpt\n', 5, 'models.allow: expected a list'],
    ['version: 1\ncost:\n  approve_over_usd: -1\n', 3, 'cost.approve_over_usd: expected a number >= 0, got -1'],
    ['version: 1\ncost:\n  assume_output_tokens: 1.5\n', 3, 'expected an integer'],
    ['version: 1\nsecrets:\n  outbound: block\n', 3, 'secrets.outbound: expected "deny" | "ask" | "redact" | "allow", got the string "block"'],
    ['version: 1\ncost:\n  prices:\n    "my-*": { input: 1, output: 2, cahced_input: 0.1 }\n', 4, 'cost.prices.my-*: unknown key "cahced_input" (expected one of: input, output, cached_input, cache_write)'],
    ['version: 1\ncost:\n  prices:\n    "my-*": { input: -1, output: 2 }\n', 4, 'cost.prices.my-*.input: expected a number >= 0'],
    ['version: 1\ncost:\n  unknown_model: maybe\n', 3, 'cost.unknown_model: expected "guess" | "allow" | "ask" | "deny"'],
    ['version: 1\nendpoints:\n  allow: ["post /v1/x"]\n', 3, 'endpoints.allow[0]: expected "METHOD /path"'],
    ['version: 1\nrules:\n  - id: a\n    on: sometimes\n', 4, 'rules[0] (id: a).on: expected "request" | "response"'],
    ['version: 1\nrules:\n  - id: a\n    on: request\n    match: { tool: x }\n    action: deny\n', 5, '"tool" and "arguments" need `on: response`'],
    ['version: 1\nrules:\n  - id: a\n    on: response\n    match: {}\n    action: deny\n', 5, 'expected at least one of: tool, arguments'],
    ['version: 1\nrules:\n  - id: a\n    on: request\n    match: { text: x }\n', 3, 'rules[0] (id: a).action: missing'],
    ['version: 1\nrules:\n  - id: "has space"\n    on: request\n    match: { text: x }\n    action: ask\n', 3, 'expected an id of letters'],
    ['version: 1\nsecrets:\n  patterns:\n    - { id: t, regex: "[" }\n', 4, 'secrets.patterns[0] (id: t).regex: expected a valid regular expression'],
    ['version: 1\nsecrets:\n  patterns:\n    - { id: t, regex: a }\n    - { id: t, regex: b }\n', 5, 'expected a unique pattern id'],
    ['version: 1\nsecrets:\n  patterns:\n    - { id: t, regex: "x*" }\n', 4, 'cannot match empty text'],
    ['version: 1\nversion: 1\n', 2, 'invalid YAML: Map keys must be unique'],
    ['version: 1\nmodels: *nowhere\n', 1, 'invalid YAML'],
    ['version: 1\nnetwork:\n  deny: ["https://evil.example"]\n', 3, 'network.deny[0]: expected a host glob with an optional port'],
    ['version: 1\nnetwork:\n  allow: ["::1"]\n', 3, 'network.allow[0]: expected a host glob'],
    ['version: 1\nnetwork:\n  unknown: block\n', 3, 'network.unknown: expected "allow" | "ask" | "deny"'],
    ['', 1, 'the file is empty'],
    ['# just a comment\n', 1, 'the file is empty'],
    ['- version: 1\n', 1, 'expected a mapping, got a list'],
  ])('%j → line %i', (text, line, message) => {
    const error = errorOf(text);
    expect(error.message).toMatch(new RegExp(`(^|\n  )guardrun\\.yaml:${line}: `));
    expect(error.message).toContain(message);
  });

  test('values quoted from the file are masked where the message is built, and the error says so (printers then leave key paths alone)', () => {
    const error = errorOf('version: 1\nsecrets:\n  outbound: "password=hunter2hunter2"\n');
    expect(error.masked).toBe(true);
    expect(error.message).toContain('secrets.outbound: expected "deny"');
    expect(error.message).not.toContain('hunter2hunter2');
  });

  test('lists every problem in one run, in file order', () => {
    const error = errorOf('version: 1\nmodels:\n  allow: 3\nrules:\n  - id: a\n    on: request\n    match: { text: "(" }\n    action: ask\n');
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('guardrun.yaml has 2 problems:');
    expect(lines[1]).toMatch(/^  guardrun\.yaml:3: models\.allow: expected a list/);
    expect(lines[2]).toMatch(/^  guardrun\.yaml:7: rules\[0\] \(id: a\)\.match\.text: expected a valid regular expression/);
    expect(error.fix).toContain('lines 3, 7 of guardrun.yaml');
  });
});

describe('parsePolicy: valid files', () => {
  test('(?i) rules load and keys left out take their defaults', () => {
    const policy = parsePolicy('version: 1\nrules:\n  - { id: x, on: request, match: { text: "(?i)secret" }, action: deny }\n', 'g.yaml');
    expect(policy.rules[0]).toEqual({ id: 'x', on: 'request', match: { text: '(?i)secret' }, action: 'deny' });
    expect(policy.models.allow).toEqual(['*']);
    expect(policy.cost.approve_over_usd).toBe(0.5);
  });

  test('null switches a cost limit off', () => {
    const policy = parsePolicy(fixture('loose.yaml'), 'loose.yaml');
    expect(policy.cost.approve_over_usd).toBeNull();
    expect(policy.cost.session_budget_usd).toBeNull();
    expect(policy.endpoints.allow).toEqual(['* /v1/*', '* /anthropic/*']);
  });

  test('strict.yaml loads', () => {
    const policy = parsePolicy(fixture('strict.yaml'), 'strict.yaml');
    expect(policy.rules.map((r) => r.id)).toEqual(['no-prod-credentials', 'internal-codenames', 'allow-clean-build', 'destructive-shell']);
    expect(policy.secrets.patterns).toEqual([{ id: 'acme-token', regex: 'ACME-[0-9]{8}' }]);
  });

  test('network: host globs with ports and bracketed IPv6 literals', () => {
    const policy = parsePolicy('version: 1\nnetwork:\n  allow: ["*.github.com", "registry.npmjs.org:443", "127.0.0.1:8080", "[::1]:*"]\n  unknown: ask\n', 'g.yaml');
    expect(policy.network).toEqual({ allow: ['*.github.com', 'registry.npmjs.org:443', '127.0.0.1:8080', '[::1]:*'], deny: [], unknown: 'ask' });
  });

  test('YAML 1.1 booleans stay strings (on: is a key, not true)', () => {
    const policy = parsePolicy('version: 1\nrules:\n  - { id: x, on: response, match: { tool: "yes" }, action: ask }\n', 'g.yaml');
    expect(policy.rules[0].on).toBe('response');
  });
});
