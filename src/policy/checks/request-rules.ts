// Checks `rule:<id>` with `on: request`: regexes and word lists over the texts that go to the model.
// A matching `allow` rule is an exception: a request it matches is exempt from the rules below it
// (it cannot lift a deny from the other checks).
import { Lru } from '../../cost/lru.js';
import { compileRegex, compileWordList } from '../regex.js';
import type { RequestRule } from '../schema.js';
import { ALLOW, type RequestCheck, type RequestFacts, type Verdict } from '../types.js';
import { ruleCheckId, ruleVerdict } from './rule-verdict.js';

type RequestMatcher = (facts: RequestFacts) => boolean;

// An agent re-sends its conversation every turn: a long text a rule did not match before is not matched again.
const REMEMBER_FROM_CHARS = 256;

/** `re.test`, remembering the long texts it did not match (the regex has no `g` flag: `test` is pure). */
function remembering(re: RegExp): (text: string) => boolean {
  const misses = new Lru<true>(10_000, 8_000_000);
  return (text) => {
    if (text.length < REMEMBER_FROM_CHARS) return re.test(text);
    if (misses.get(text)) return false;
    if (re.test(text)) return true;
    misses.set(text, true);
    return false;
  };
}

function requestMatcher(rule: RequestRule): RequestMatcher {
  const text = rule.match.text !== undefined ? remembering(compileRegex(rule.match.text)) : undefined;
  const words = rule.match.words !== undefined ? remembering(compileWordList(rule.match.words)) : undefined;
  return (facts) => (text === undefined || facts.texts.some(text)) && (words === undefined || facts.texts.some(words));
}

/** One check per request rule, in file order. */
export function createRequestRuleChecks(rules: readonly RequestRule[]): RequestCheck[] {
  const matchers = rules.map(requestMatcher);
  return rules.map((rule, i) => {
    const exceptions = matchers.filter((_, j) => j < i && rules[j].action === 'allow');
    return {
      id: ruleCheckId(rule.id),
      phase: 'request',
      evaluate(facts): Verdict {
        if (!matchers[i](facts) || exceptions.some((m) => m(facts))) return ALLOW;
        const on = rule.match.text !== undefined ? 'text' : 'words';
        return ruleVerdict(rule, `the request matched rule ${rule.id} (${on})`);
      },
    };
  });
}
