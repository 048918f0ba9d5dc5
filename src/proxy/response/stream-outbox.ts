// Where a stream handler puts event texts: out to the agent now, or into the hold while tool calls
// wait for a decision; and the refusal that replaces what was held with the error event(s).
import type { ToolCall } from '../../policy/types.js';
import type { ProxyError } from '../error-response.js';

export type ToolCallDecision = { allow: true } | { allow: false; error: ProxyError };
export type DecideToolCalls = (calls: ToolCall[]) => Promise<ToolCallDecision>;

export class StreamOutbox {
  denied = false;
  closed = false;
  /** The refusal that closed the stream. */
  error: ProxyError | undefined;
  private ready: string[] = [];
  private held: string[] | undefined;

  constructor(
    private readonly decide: DecideToolCalls | undefined,
    private readonly errorEvent: (error: ProxyError) => string | string[],
  ) {}

  /** Whether tool calls are judged at all (the policy has response rules). */
  get judging(): boolean {
    return this.decide !== undefined;
  }

  get holding(): boolean {
    return this.held !== undefined;
  }

  send(text: string): void {
    if (!this.closed) (this.held ?? this.ready).push(text);
  }

  /** From now on, sent texts wait (no-op when tool calls are not judged). */
  hold(): void {
    if (this.decide && !this.closed) this.held ??= [];
  }

  /** Lets everything held go out, in order. */
  release(): void {
    if (!this.held) return;
    for (const text of this.held) this.ready.push(text);
    this.held = undefined;
  }

  /** Decides on complete calls; false once refused (the stream is then closed with the error event). */
  async judge(calls: ToolCall[]): Promise<boolean> {
    if (this.closed) return false;
    if (!this.decide || calls.length === 0) return true;
    const verdict = await this.decide(calls);
    if (verdict.allow === true) return true;
    this.fail(verdict.error);
    return false;
  }

  /** Drops what is held and ends the stream with the API's error event(s). */
  fail(error: ProxyError): void {
    if (this.closed) return;
    this.held = undefined;
    this.error = error;
    const texts = this.errorEvent(error);
    this.ready.push(...(Array.isArray(texts) ? texts : [texts]));
    this.denied = true;
    this.closed = true;
  }

  /** The texts to send now. */
  take(): string[] {
    const out = this.ready;
    this.ready = [];
    return out;
  }
}
