// The session's guard: the policy decision for each request and response, masking of what leaves, the running totals.
import type { Approver } from '../approval/types.js';
import { createCiApprover } from '../approval/ci-approver.js';
import { createPriceBook, type PriceBook } from '../cost/price-book.js';
import { createTokenCounter, type TokenCounter } from '../cost/tokens.js';
import { DEFAULT_POLICY, DEFAULT_POLICY_SOURCE } from '../policy/default.js';
import { createEndpointCheck } from '../policy/checks/endpoint.js';
import { createEvaluator } from '../policy/evaluate.js';
import type { LoadedPolicy } from '../policy/load.js';
import type { RequestFacts, ToolCall } from '../policy/types.js';
import { createResponseFilter } from '../proxy/response/response-filter.js';
import type { Charge, Exchange, ExchangeResult, Guard, RequestVerdict } from '../proxy/types.js';
import type { Recorder } from '../recording/recorder.js';
import { BUILTIN_DETECTORS, compileDetectors } from '../secrets/detectors.js';
import type { HeldKey } from '../secrets/keystore.js';
import { createScanner } from '../secrets/scan.js';
import { createCleanCheck } from '../secrets/clean-strings.js';
import { withEmbedded } from '../secrets/embedded.js';
import { checkRequest } from './request-check.js';
import { isTextBody, scanBody, type BodyScan } from './body-scan.js';
import { scanFormBody } from './surface-scan.js';
import { settle } from './settle.js';
import { chargeFor, needsUsageEstimate, precount } from './charge.js';
import { SpendLedger } from './spend-ledger.js';

export interface SessionStats {
  requests: number;
  denied: number;
  /** USD charged for completed exchanges (reported usage priced, plus estimates where the provider reported none). */
  costUsd: number;
  /** The part of costUsd that rests on estimates: usage guardrun estimated, or a guessed price. */
  estimatedUsd: number;
  denials: Array<{ id: number; endpoint: string; rule: string; reason: string; decidedBy: string }>;
}

/** Empty totals for a new session. */
export function newSessionStats(): SessionStats {
  return { requests: 0, denied: 0, costUsd: 0, estimatedUsd: 0, denials: [] };
}

export interface GuardSetup {
  policy?: LoadedPolicy;
  /** Built once the child exists, so a prompt can pause it (and stop the run: Ctrl-C twice). Default: deny every ask (no approver). */
  approver?: (child: ChildControl) => Approver;
}

/** What an approver may do to the guarded child. */
export interface ChildControl {
  /** Stops the child's process tree while a prompt owns the terminal; resolves once stopped. */
  pause(): Promise<void>;
  resume(): void;
  /** Ends the run as SIGTERM to guardrun would: prompts closed, SIGTERM to the child, SIGKILL after the grace period. */
  stop(): void;
}

export interface SessionGuardOptions {
  keys: HeldKey[];
  dummyKey: string;
  stats: SessionStats;
  recorder: Recorder;
  policy?: LoadedPolicy;
  approver: Approver;
  /** Prices; default: the policy's `cost.prices` over the bundled data. */
  book?: PriceBook;
  /** Token counts; default: a counter with its own worker thread, started on first need. */
  counter?: TokenCounter;
}

/** The refusal of a request whose record could not be written. */
export const RECORD_FAILED = 'guardrun_record_failed';

/** The guard, plus what the session does with it around its requests. */
export interface SessionGuard extends Guard {
  /**
   * Starts loading, off the event loop, what a first request may need: the tokenizer's ranks (in the token worker)
   * when the policy counts every request (`cost.count_tokens: always`); otherwise they load once a request's
   * estimate comes near a limit (request-check.ts).
   */
  warmUp(): void;
  /** Ends the token worker. */
  close(): void;
}

export function createSessionGuard(o: SessionGuardOptions): SessionGuard {
  const loaded = o.policy ?? { policy: DEFAULT_POLICY, source: DEFAULT_POLICY_SOURCE, sha256: '' };
  const evaluator = createEvaluator(loaded.policy);
  const book = o.book ?? createPriceBook({ prices: loaded.policy.cost.prices, policySource: loaded.source });
  const ledger = new SpendLedger<Exchange>(o.stats);
  const endpointCheck = createEndpointCheck(loaded.policy.endpoints);
  const exact = [...o.keys.map((k) => ({ id: `${k.provider}-real-key`, value: k.value })), { id: 'dummy-key', value: o.dummyKey }];
  const patterns = evaluator.secretPatterns.map((p) => ({ id: p.id, regex: `/${p.regex.source}/${p.regex.flags}` }));
  // Everything: for the session file, outbound checks and (with mask_responses) model output.
  const scanner = createScanner(compileDetectors({ exact, patterns, builtins: BUILTIN_DETECTORS }));
  // Only guardrun's own keys: masked in model output even when mask_responses is off.
  const keyScanner = createScanner(compileDetectors({ exact, patterns: [], builtins: [] }));
  // Exact token counts happen in a worker thread, never on the event loop that relays every stream.
  const counter = o.counter ?? createTokenCounter();
  // Request bodies are also scanned inside text `data:` URIs and base64 text documents (secrets/embedded.ts).
  const requestScanner = withEmbedded(scanner);
  const cleanCheck = createCleanCheck(requestScanner);
  // Requests between the start and the end of their check (see the write before forwarding).
  let checking = 0;
  const facts = new WeakMap<Exchange, RequestFacts>();
  const human = new WeakMap<Exchange, number>();
  const scans = new WeakMap<Exchange, BodyScan | null>();
  const scanRequest = (ex: Exchange): BodyScan | undefined => {
    let scan = scans.get(ex);
    if (scan === undefined) {
      const text = isTextBody(ex) ? (ex.text ?? ex.body.toString('utf8')) : undefined;
      // Strings found clean on earlier turns (the conversation so far) are not scanned again.
      // A large JSON body is scanned in parts: what the session file already holds was scanned when it was recorded.
      scan = text === undefined ? null : ex.bodyKind === 'form' ? scanFormBody(ex, requestScanner) : scanBody(text, ex.json, requestScanner, cleanCheck, o.recorder.parts);
      scans.set(ex, scan);
    }
    return scan ?? undefined;
  };
  const hasResponseRules = loaded.policy.rules.some((r) => r.on === 'response');
  // The same short texts (header values, paths, model names) come with every request: their masked form is kept.
  const maskedShort = new Map<string, string>();
  const maskText = (text: string): string => {
    if (text.length > 256) return scanner.mask(text).text;
    let masked = maskedShort.get(text);
    if (masked === undefined) {
      masked = scanner.mask(text).text;
      if (maskedShort.size >= 4096) maskedShort.clear();
      maskedShort.set(text, masked);
    }
    return masked;
  };
  const excerptOf = (calls: ToolCall[]): string => maskText(calls.map((c) => `tool ${c.name}: ${c.arguments}`).join('\n'));

  const noteDenial = (ex: Exchange, rule: string, reason: string, decidedBy: string): void => {
    o.stats.denials.push({ id: ex.id, endpoint: maskText(ex.endpoint), rule, reason: maskText(reason), decidedBy });
  };

  return {
    async checkRequest(ex): Promise<RequestVerdict> {
      checking++;
      try {
        const budget = {
          spentUsd: () => ledger.spentUsd(),
          reservedUsd: () => ledger.reservedUsd(),
          reserve: (usd: number) => ledger.reserve(ex, usd),
          release: () => ledger.release(ex),
        };
        const out = await checkRequest(ex, scanRequest(ex), { evaluator, scanner: requestScanner, keyScanner, counter, approver: o.approver, recorder: o.recorder, book, budget, maskText });
        facts.set(ex, out.facts);
        if (out.humanMs) human.set(ex, out.humanMs);
        if (!out.verdict.allow) noteDenial(ex, out.verdict.error.code, out.reason ?? out.verdict.error.message, out.decidedBy ?? 'policy');
        if (out.verdict.allow) {
          // Nothing leaves that is not on disk first: this request's lines are written, and it is refused if that
          // failed. Alone, at once; with other requests being checked, together with theirs at the end of this turn
          // of the event loop, in one write (waiting for the turn's end would only add latency to a lone request).
          if (checking > 1) await o.recorder.written();
          else o.recorder.flush();
          const failed = o.recorder.failure;
          if (failed) {
            ledger.release(ex);
            const reason = `guardrun cannot record this request (the session file could not be written: ${failed.code ?? failed.message}), so it was not sent`;
            noteDenial(ex, RECORD_FAILED, reason, 'error');
            return { allow: false, error: { status: 503, code: RECORD_FAILED, message: reason } };
          }
        }
        return out.verdict;
      } catch (error) {
        ledger.release(ex);
        // Fail closed: a check pipeline that breaks denies the request.
        const reason = `guardrun could not check this request: ${(error as Error).message}`;
        noteDenial(ex, 'guardrun_check_error', reason, 'error');
        return { allow: false, error: { status: 403, code: 'guardrun_check_error', message: maskText(reason) } };
      } finally {
        checking--;
      }
    },
    endpointAllowed(endpoint) {
      const method = endpoint.split(' ', 1)[0];
      const facts: RequestFacts = { method, path: endpoint.slice(method.length + 1), endpoint, provider: 'openai', stream: false, body: undefined, texts: [], secretFindings: [], spendUsd: o.stats.costUsd };
      try {
        const verdicts = [endpointCheck.evaluate(facts)].flat();
        return verdicts.every((v) => v.kind === 'allow');
      } catch {
        return false; // fail closed
      }
    },
    openResponse(ex) {
      const request = facts.get(ex);
      return createResponseFilter({
        exchange: ex,
        scanner: loaded.policy.secrets.mask_responses ? scanner : keyScanner,
        recordScanner: scanner,
        decideToolCalls: hasResponseRules && request
          ? async (toolCalls) => {
              const decision = evaluator.response({ request, toolCalls });
              const settled = await settle({ id: ex.id, phase: 'response', endpoint: ex.endpoint, model: ex.model, decision, requestEstimateUsd: request.estimate?.usd, spendUsd: o.stats.costUsd, excerpt: () => excerptOf(toolCalls), mask: maskText }, o.approver, o.recorder);
              if (settled.allow) return { allow: true };
              noteDenial(ex, settled.rule, settled.reason, settled.decidedBy);
              return { allow: false, error: { status: 403, code: settled.rule, message: maskText(`guardrun withheld a tool call (${settled.rule}): ${settled.reason}`) } };
            }
          : undefined,
      });
    },
    masksResponses: loaded.policy.secrets.mask_responses,
    maskOutgoing: (text) => (loaded.policy.secrets.mask_responses ? scanner : keyScanner).mask(text).text,
    hasOwnKey: (text) => keyScanner.find(text).length > 0,
    maskText,
    scanRequest,
    humanMs: (ex) => human.get(ex) ?? 0,
    warmUp: () => {
      if (loaded.policy.cost.count_tokens === 'always') counter.warm('o200k_base');
    },
    close: () => void counter.close(),
    async finish(ex: Exchange, result: ExchangeResult): Promise<Charge> {
      o.stats.requests++;
      if (result.denied) o.stats.denied++;
      const reservedUsd = ledger.reservation(ex);
      let charge: Charge = {};
      try {
        // The reservation stays until the charge replaces it, even while the price data finishes loading.
        if (result.forwarded && !book.ready) await book.whenReady();
        // Usage to estimate: count it in the worker thread first, never on the event loop.
        const counted = needsUsageEstimate(ex, result) ? await precount(ex, result, counter) : undefined;
        charge = chargeFor(ex, result, { book, counter, assumeOutputTokens: loaded.policy.cost.assume_output_tokens, reservedUsd, counted });
      } catch {
        // No price could be worked out (the data failed to load): keep the request's estimate, never $0.
        charge = reservedUsd > 0 ? { costUsd: reservedUsd, costEstimated: true } : {};
      }
      ledger.settle(ex, charge.costUsd, charge.costEstimated === true || charge.priceIsGuess === true);
      return charge;
    },
  };
}

/** The approver used when none is given: nobody to ask, so every ask is denied. */
export function noApprover(): Approver {
  return createCiApprover('no approver was configured');
}
