// The policy file's shape (zod 4, strict: unknown keys are errors). A key left out takes the default shown here;
// the built-in default policy is exactly an empty `version: 1` file (default.ts spells it out).
import { z } from 'zod';
import { compileRegex, regexProblem } from './regex.js';

export const DEFAULT_ENDPOINTS = [
  'POST /v1/chat/completions',
  'POST /v1/responses',
  'WS /v1/responses',
  'WS /v1/realtime',
  'POST /v1/embeddings',
  'GET /v1/models',
  'GET /v1/models/*',
  'POST /anthropic/v1/messages',
  'POST /anthropic/v1/messages/count_tokens',
  'GET /anthropic/v1/models',
  'GET /anthropic/v1/models/*',
] as const;

/** A strict object whose unknown-key error lists the keys it knows, and says where they might belong. */
function strict<T extends z.ZodRawShape>(shape: T, hint = '') {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')} (expected one of: ${known})${hint}`
        : undefined,
  });
}

const regex = z.string().superRefine((source, ctx) => {
  const problem = regexProblem(source);
  if (problem) ctx.addIssue({ code: 'custom', message: `expected a valid regular expression (${problem})` });
});

const endpointGlob = z
  .string()
  .regex(/^[A-Z*?]+ [/*?]\S*$/, { error: 'expected "METHOD /path" with an upper-case method, e.g. "POST /v1/chat/completions"' });

const modelGlob = z.string().min(1, { error: 'expected a non-empty model glob, e.g. "gpt-4.1*"' });

const answer = z.enum(['allow', 'ask', 'deny']);
const usd = z.number().min(0).nullable();
const perMTok = z.number().min(0).max(1_000_000, { error: 'expected USD per million tokens (at most 1,000,000)' });

// USD per million tokens for the models a glob matches (the user's own prices win over the bundled data).
const userPrice = strict({
  input: perMTok,
  output: perMTok,
  cached_input: perMTok.optional(),
  cache_write: perMTok.optional(),
});

const ruleId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'expected an id of letters, digits, ".", "_" or "-", e.g. "no-prod-credentials"' });

const ruleBase = {
  id: ruleId,
  action: answer,
  message: z.string().optional(),
};

const requestMatch = strict(
  { text: regex.optional(), words: z.array(z.string().min(1)).min(1).optional() },
  '; "tool" and "arguments" need `on: response`',
).refine((m) => m.text !== undefined || m.words !== undefined, { error: 'expected at least one of: text, words' });

const responseMatch = strict(
  { tool: regex.optional(), arguments: regex.optional() },
  '; "text" and "words" need `on: request`',
).refine((m) => m.tool !== undefined || m.arguments !== undefined, { error: 'expected at least one of: tool, arguments' });

const requestRule = strict({ ...ruleBase, on: z.literal('request'), match: requestMatch });
const responseRule = strict({ ...ruleBase, on: z.literal('response'), match: responseMatch });
const rule = z.discriminatedUnion('on', [requestRule, responseRule]);

/** Adds an issue at `[i, 'id']` for every id already used earlier in the list. */
function uniqueIds(what: string, list: string) {
  return (items: Array<{ id: string }>, ctx: z.RefinementCtx) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const first = seen.get(item.id);
      if (first === undefined) seen.set(item.id, i);
      else ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `expected a unique ${what} id ("${item.id}" is also used by ${list}[${first}])` });
    });
  };
}

// A pattern that matches empty text would mask at every position.
const secretRegex = regex.refine((source) => regexProblem(source) !== undefined || !compileRegex(source).test(''), {
  error: 'expected a regular expression that cannot match empty text (it would mask everything)',
});
const secretPattern = strict({ id: ruleId, regex: secretRegex });

export const policySchema = strict({
  version: z.literal(1, { error: 'expected 1, the policy format this guardrun reads' }),
  endpoints: strict({
    allow: z.array(endpointGlob).default([...DEFAULT_ENDPOINTS]),
    deny: z.array(endpointGlob).default([]),
  }).prefault({}),
  models: strict({
    allow: z.array(modelGlob).default(['*']),
    deny: z.array(modelGlob).default([]),
    unknown: answer.default('deny'),
  }).prefault({}),
  cost: strict({
    approve_over_usd: usd.default(0.5),
    session_budget_usd: usd.default(5),
    assume_output_tokens: z.number().int().min(0).default(4096),
    unknown_model: z.enum(['guess', 'allow', 'ask', 'deny']).default('guess'),
    count_tokens: z.enum(['when-needed', 'always']).default('when-needed'),
    prices: z.record(modelGlob, userPrice).default({}),
  }).prefault({}),
  approval: strict({
    timeout_s: z.number().positive().max(86_400).default(120),
  }).prefault({}),
  upstream: strict({
    first_byte_timeout_s: z.number().positive().max(86_400).default(300),
    first_byte_timeout_unstreamed_s: z.number().positive().max(86_400).default(600),
  }).prefault({}),
  secrets: strict({
    outbound: z.enum(['deny', 'ask', 'redact', 'allow']).default('redact'),
    mask_responses: z.boolean().default(true),
    uninspectable: z.enum(['deny', 'ask', 'allow']).default('ask'),
    patterns: z.array(secretPattern).default([]).superRefine(uniqueIds('pattern', 'secrets.patterns')),
  }).prefault({}),
  rules: z.array(rule).default([]).superRefine(uniqueIds('rule', 'rules')),
});

export type Policy = z.output<typeof policySchema>;
export type PolicyRule = Policy['rules'][number];
export type RequestRule = Extract<PolicyRule, { on: 'request' }>;
export type ResponseRule = Extract<PolicyRule, { on: 'response' }>;
export type SecretsOutbound = Policy['secrets']['outbound'];
