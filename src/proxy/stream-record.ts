// What the session file keeps of a streamed answer: every event as the agent received it (`events`) and,
// only when that differs from what the upstream sent, the upstream's events too (`upstreamEvents`), so
// `guardrun replay` can show both and a re-run serves exactly what the live agent got. Both are masked for
// the file as streams (a secret split over events is masked there too, ResponseFilter.forRecord); `t` is ms
// from the answer's first byte (arrival for the upstream's events, sending for the agent's), so the pair
// also shows how long an event was held.
import type { StreamChunk } from '../recording/format.js';

interface Timed {
  t: number;
  text: string;
}

export interface RecordedStream {
  events: StreamChunk[];
  upstreamEvents?: StreamChunk[];
}

export class StreamRecord {
  private readonly agent: Timed[] = [];
  private readonly upstream: Timed[] = [];
  /** Upstream events not yet matched against what the agent received. */
  private unmatched = 0;
  private same = true;

  /**
   * @param forRecord masks raw event texts for the file as one stream (the response filter's)
   * @param agentMasked the agent's texts are already masked with every secret the session knows
   */
  constructor(
    private readonly forRecord: (texts: readonly string[]) => Promise<string[]>,
    private readonly agentMasked: boolean,
  ) {}

  /** An event as the upstream sent it (for HTTP streams: as it answers the agent's request, without what guardrun added to it). */
  upstreamEvent(text: string, t: number): void {
    this.upstream.push({ t, text });
    this.unmatched++;
  }

  /** An event as the agent received it. */
  agentEvent(text: string, t: number): void {
    this.agent.push({ t, text });
    const at = this.upstream.length - this.unmatched;
    if (this.same && (this.unmatched === 0 || this.upstream[at].text !== text)) this.same = false;
    if (this.unmatched > 0) this.unmatched--;
  }

  /** The texts the agent received so far (not masked for the file). */
  agentTexts(): string[] {
    return this.agent.map((e) => e.text);
  }

  /** True while the agent received exactly the upstream's events, byte for byte. */
  get identical(): boolean {
    return this.same && this.unmatched === 0;
  }

  /**
   * Both lists masked for the file; `upstreamEvents` only when they differ. At once (no promise) in the
   * common case: the agent's events already masked and the same as the upstream's.
   */
  finish(): RecordedStream | Promise<RecordedStream> {
    const timed = (list: Timed[], texts: readonly string[]): StreamChunk[] => list.map((e, i) => ({ t: e.t, data: texts[i] }));
    if (this.agentMasked && this.identical) return { events: timed(this.agent, this.agent.map((e) => e.text)) };
    return (async () => {
      const agentTexts = this.agent.map((e) => e.text);
      const events = timed(this.agent, this.agentMasked ? agentTexts : await this.forRecord(agentTexts));
      if (this.identical) return { events };
      return { events, upstreamEvents: timed(this.upstream, await this.forRecord(this.upstream.map((e) => e.text))) };
    })();
  }
}
