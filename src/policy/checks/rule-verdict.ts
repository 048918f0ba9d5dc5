// What a matching policy rule says: its action, with its message or a default reason.
import type { RequestRule, ResponseRule } from '../schema.js';
import { ALLOW, type Verdict } from '../types.js';

export function ruleCheckId(id: string): string {
  return `rule:${id}`;
}

export function ruleVerdict(rule: RequestRule | ResponseRule, reason: string): Verdict {
  if (rule.action === 'allow') return ALLOW;
  return { kind: rule.action, rule: ruleCheckId(rule.id), reason: rule.message ?? reason };
}
