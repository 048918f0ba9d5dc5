// Checks `rule:<id>` with `on: request`: regexes and word lists over the texts that go to the model.
// A matching `allow` rule is an exception: a request it matches is exempt from the rules below it
// (it cannot lift a deny from the other checks).
import { compileRegex, compileWordList } from '../regex.js';
import { normalizeForRules } from '../normalize.js';
import type { RequestRule } from '../schema.js';
import { ALLOW, type RequestCheck, type RequestFacts, type Verdict } from '../types.js';
import { ruleCheckId, ruleVerdict } from './rule-verdict.js';

type RequestMatcher = (facts: RequestFacts) => boolean;

// Each request's texts normalised once (normalize.ts), whichever rules read them.
const normalised = new WeakMap<readonly string[], string[]>();
function normalisedTexts(texts: readonly string[]): string[] {
  let out = normalised.get(texts);
  if (!out) {
    out = texts.map(normalizeForRules).filter((n, i) => n !== texts[i]);
    normalised.set(texts, out);
  }
  return out;
}

/** A rule matches a text as sent or as normalised (invisible characters gone, look-alikes folded). */
function requestMatcher(rule: RequestRule): RequestMatcher {
  const text = rule.match.text !== undefined ? compileRegex(rule.match.text) : undefined;
  // The words as written and as normalised, so "café" matches "cafe\u0301" and "cafe" alike.
  const words = rule.match.words !== undefined ? compileWordList([...new Set([...rule.match.words, ...rule.match.words.map(normalizeForRules)])]) : undefined;
  const any = (re: RegExp, facts: RequestFacts): boolean => facts.texts.some((t) => re.test(t)) || normalisedTexts(facts.texts).some((t) => re.test(t));
  return (facts) => (text === undefined || any(text, facts)) && (words === undefined || any(words, facts));
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
