// Checks `rule:<id>` with `on: request`: regexes and word lists over the texts that go to the model.
// A matching `allow` rule is an exception: a request it matches is exempt from the rules below it
// (it cannot lift a deny from the other checks).
import { Lru } from '../../cost/lru.js';
import { compileRegex, compileWordList } from '../regex.js';
import { normalizeForRules } from '../normalize.js';
import type { RequestRule } from '../schema.js';
import { ALLOW, type RequestCheck, type RequestFacts, type Verdict } from '../types.js';
import { ruleCheckId, ruleVerdict } from './rule-verdict.js';

type RequestMatcher = (facts: RequestFacts) => boolean;

// An agent re-sends its conversation every turn: a long text's normal form, and whether a rule matched it, are
// worked out once (a re-sent 300 KB context then costs lookups, not a normalisation and a search per rule).
const REMEMBER_FROM_CHARS = 256;
const normalForms = new Lru<string>(10_000, 16_000_000);

function normalForm(text: string): string {
  if (text.length < REMEMBER_FROM_CHARS) return normalizeForRules(text);
  let out = normalForms.get(text);
  if (out === undefined) normalForms.set(text, (out = normalizeForRules(text)));
  return out;
}

// Each request's texts normalised once (normalize.ts), whichever rules read them.
const normalised = new WeakMap<readonly string[], string[]>();
function normalisedTexts(texts: readonly string[]): string[] {
  let out = normalised.get(texts);
  if (!out) {
    out = texts.map(normalForm).filter((n, i) => n !== texts[i]);
    normalised.set(texts, out);
  }
  return out;
}

/** `re.test`, remembering the long texts it did not match (policy regexes have no `g` flag: `test` is pure). */
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

/** A rule matches a text as sent or as normalised (invisible characters gone, look-alikes folded). */
function requestMatcher(rule: RequestRule): RequestMatcher {
  const text = rule.match.text !== undefined ? remembering(compileRegex(rule.match.text)) : undefined;
  // The words as written and as normalised, so "café" matches "cafe\u0301" and "cafe" alike.
  const words = rule.match.words !== undefined ? remembering(compileWordList([...new Set([...rule.match.words, ...rule.match.words.map(normalizeForRules)])])) : undefined;
  const any = (test: (text: string) => boolean, facts: RequestFacts): boolean => facts.texts.some(test) || normalisedTexts(facts.texts).some(test);
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
