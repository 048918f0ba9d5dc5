// What the session file keeps of a streamed answer: every event as the agent received it (`events`) and,
// only when that differs from what the upstream sent, the upstream's events too (`upstreamEvents`), so
// `guardrun replay` can show both and a re-run serves exactly what the live agent got. Both are masked
// for the file like everything else; `t` is ms from the answer's first byte (arrival for the upstream's
// events, sending for the agent's), so the pair also shows how long an event was held.
import type { StreamChunk } from '../recording/format.js';

export class StreamRecord {
  /** What the agent received, as recorded. */
  readonly events: StreamChunk[] = [];
  private readonly upstream: Array<{ t: number; text: string }> = [];
  /** Upstream events not yet matched against what the agent received. */
  private unmatched = 0;
  private same = true;

  /**
   * @param forFile masks a text for the session file
   * @param agentMasked the agent's texts are already masked for the file (the filter masked with the full scanner)
   */
  constructor(
    private readonly forFile: (text: string) => string,
    private readonly agentMasked: boolean,
  ) {}

  /** An event as the upstream sent it (for HTTP streams: as it answers the agent's request, without what guardrun added to it). */
  upstreamEvent(text: string, t: number): void {
    this.upstream.push({ t, text });
    this.unmatched++;
  }

  /** An event as the agent received it. */
  agentEvent(text: string, t: number): void {
    this.events.push({ t, data: this.agentMasked ? text : this.forFile(text) });
    const at = this.upstream.length - this.unmatched;
    if (this.same && (this.unmatched === 0 || this.upstream[at].text !== text)) this.same = false;
    if (this.unmatched > 0) this.unmatched--;
  }

  /** True while the agent received exactly the upstream's events, byte for byte. */
  get identical(): boolean {
    return this.same && this.unmatched === 0;
  }

  /** The upstream's events for the file, or undefined when the agent received exactly them. */
  upstreamEvents(): StreamChunk[] | undefined {
    if (this.identical) return undefined;
    return this.upstream.map((e) => ({ t: e.t, data: this.forFile(e.text) }));
  }
}
