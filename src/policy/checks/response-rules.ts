// Checks `rule:<id>` with `on: response`: regexes over the name and arguments of each tool call the model returns.
// A matching `allow` rule is an exception: a tool call it matches is exempt from the rules below it.
import { compileRegex } from '../regex.js';
import type { ResponseRule } from '../schema.js';
import { ALLOW, type ResponseCheck, type ToolCall, type Verdict } from '../types.js';
import { ruleCheckId, ruleVerdict } from './rule-verdict.js';

type CallMatcher = (call: ToolCall) => boolean;

function callMatcher(rule: ResponseRule): CallMatcher {
  const tool = rule.match.tool !== undefined ? compileRegex(rule.match.tool) : undefined;
  const args = rule.match.arguments !== undefined ? compileRegex(rule.match.arguments) : undefined;
  return (call) => (tool === undefined || tool.test(call.name)) && (args === undefined || args.test(call.arguments));
}

/** One check per response rule, in file order; each looks at every tool call of the response. */
export function createResponseRuleChecks(rules: readonly ResponseRule[]): ResponseCheck[] {
  const matchers = rules.map(callMatcher);
  return rules.map((rule, i) => {
    const exceptions = matchers.filter((_, j) => j < i && rules[j].action === 'allow');
    return {
      id: ruleCheckId(rule.id),
      phase: 'response',
      evaluate(facts): Verdict {
        const hits = facts.toolCalls.filter((call) => matchers[i](call) && !exceptions.some((m) => m(call)));
        if (hits.length === 0) return ALLOW;
        const names = [...new Set(hits.map((c) => `"${c.name}"`))].join(', ');
        return ruleVerdict(rule, `the model's call to tool ${names} matched rule ${rule.id}`);
      },
    };
  });
}
