import { describe, expect, test } from 'vitest';
import { DEFAULT_POLICY, DEFAULT_POLICY_YAML } from './default.js';
import { parsePolicy } from './parse.js';
import { DEFAULT_ENDPOINTS, type ResponseRule } from './schema.js';
import { createResponseRuleChecks } from './checks/response-rules.js';
import { responseFacts } from './test-facts.js';

describe('the built-in default policy', () => {
  test('spells out exactly what an empty `version: 1` file means', () => {
    expect(DEFAULT_POLICY).toEqual(parsePolicy('version: 1\n', 'empty.yaml'));
  });

  test('the YAML text parses to the exported object', () => {
    expect(parsePolicy(DEFAULT_POLICY_YAML, 'x')).toEqual(DEFAULT_POLICY);
  });

  test('documented choices', () => {
    expect(DEFAULT_POLICY.endpoints.allow).toEqual([...DEFAULT_ENDPOINTS]);
    expect(DEFAULT_POLICY.models).toEqual({ allow: ['*'], deny: [], unknown: 'deny' });
    expect(DEFAULT_POLICY.cost).toEqual({ approve_over_usd: 0.5, session_budget_usd: 5, assume_output_tokens: 4096, unknown_model: 'guess', count_tokens: 'when-needed', prices: {} });
    expect(DEFAULT_POLICY.secrets).toEqual({ outbound: 'redact', mask_responses: true, uninspectable: 'ask', patterns: [] });
    expect(DEFAULT_POLICY.approval.timeout_s).toBe(120);
    expect(DEFAULT_POLICY.rules).toEqual([]);
    // Egress: everything but what the policy denies (loopback and link-local still need a literal allow).
    expect(DEFAULT_POLICY.network).toEqual({ allow: [], deny: [], unknown: 'allow' });
  });

  const uncommented = DEFAULT_POLICY_YAML.replace('patterns: []', 'patterns:')
    .replace('  #  - { id: acme', '    - { id: acme')
    .replace('rules: []', 'rules:')
    .replace('  prices: {}', '  prices:')
    .replace(/^  #  ("ft:|"my-)/gm, '    $1')
    .replace(/^  # (- id|  on|  match|  action|  message)/gm, '  $1');

  test('the commented examples in it are valid when uncommented', () => {
    const policy = parsePolicy(uncommented, 'x');
    expect(policy.secrets.patterns.map((p) => p.id)).toEqual(['acme-token']);
    expect(policy.rules.map((r) => r.id)).toEqual(['no-prod-credentials', 'destructive-shell']);
    expect(policy.rules[1]).toMatchObject({ match: { arguments: 'rm\\s+-rf|mkfs|dd\\s+if=' } });
    expect(Object.keys(policy.cost.prices)).toEqual(['ft:gpt-4.1-mini:*', 'my-deployment-*']);
  });

  test("its destructive-shell example catches both agents' shell tools (Claude Code's Bash, Codex's exec/shell)", () => {
    const rule = parsePolicy(uncommented, 'x').rules.find((r) => r.id === 'destructive-shell');
    const [check] = createResponseRuleChecks([rule as ResponseRule]);
    const verdict = (name: string, args: string) => [check.evaluate(responseFacts([{ name, arguments: args }]))].flat()[0].kind;
    expect(verdict('Bash', '{"command":"rm -rf /","description":"clean"}')).toBe('ask');
    expect(verdict('shell', '{"command":["bash","-lc","rm -rf /"]}')).toBe('ask');
    expect(verdict('exec_command', '{"cmd":"rm -rf /"}')).toBe('ask');
    expect(verdict('exec', 'const r = await tools.exec_command({ cmd: "rm -rf /" });')).toBe('ask');
    expect(verdict('Bash', '{"command":"ls"}')).toBe('allow');
    expect(verdict('Read', '{"file_path":"rm -rf"}')).toBe('allow');
  });
});
