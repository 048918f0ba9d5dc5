// The session's guard: the policy decision for each request, masking of what leaves, and the running totals.
import type { HeldKey } from '../secrets/keystore.js';
import type { Recorder } from '../recording/recorder.js';
import type { Exchange, ExchangeResult, Guard, ResponseFilter } from '../proxy/types.js';
import type { SseEvent } from '../proxy/sse.js';

export interface SessionStats {
  requests: number;
  denied: number;
  costUsd: number;
  denials: Array<{ id: number; endpoint: string; rule: string; reason: string }>;
}

export interface GuardSetup {
  // Filled in by the policy engine: policy, approver, ci.
}

export interface SessionGuardOptions {
  keys: HeldKey[];
  dummyKey: string;
  stats: SessionStats;
  recorder: Recorder;
  setup?: GuardSetup;
}

export function createSessionGuard(o: SessionGuardOptions): Guard {
  const exact = [
    ...o.keys.map((k) => ({ id: `${k.provider}-real-key`, value: k.value })),
    { id: 'dummy-key', value: o.dummyKey },
  ];
  const maskText = (text: string): string => {
    let out = text;
    for (const { id, value } of exact) if (out.includes(value)) out = out.split(value).join(`[REDACTED:${id}]`);
    return out;
  };
  return {
    async checkRequest() {
      return { allow: true };
    },
    openResponse(): ResponseFilter {
      return {
        denied: false,
        event: (event: SseEvent) => [maskText(event.raw)],
        end: () => [],
        body: (text: string) => ({ text: maskText(text) }),
      };
    },
    maskText,
    finish(exchange: Exchange, result: ExchangeResult) {
      o.stats.requests++;
      if (result.costUsd !== undefined) o.stats.costUsd += result.costUsd;
      if (result.denied) o.stats.denied++;
      void exchange;
    },
  };
}
