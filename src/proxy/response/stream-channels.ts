// The text channels of one streamed answer (a choice's content, a tool call's arguments, a content
// block): one stream masker each, plus the last delta event of each, which a flush is cloned from.
import type { Scanner } from '../../secrets/scan.js';
import { createChannelMaskers } from '../../secrets/stream-masker.js';

export interface Flushed<T> {
  key: string;
  /** The masked text the channel still held. */
  text: string;
  /** What the handler kept of the channel's last delta event. */
  template: T;
}

export class DeltaChannels<T> {
  private readonly maskers: ReturnType<typeof createChannelMaskers>;
  private readonly templates = new Map<string, T>();

  constructor(scanner: Scanner) {
    this.maskers = createChannelMaskers(scanner);
  }

  /** One event's text delta in, the masked text to put into that event out (may be shorter, or ''). */
  push(key: string, text: string, template: T): string {
    this.templates.set(key, template);
    return this.maskers.pushEvent(key, text);
  }

  get open(): boolean {
    return this.templates.size > 0;
  }

  /** Ends the matching channels; returns the text each still held (channels that held nothing are left out). */
  flush(match: (key: string, template: T) => boolean = () => true): Flushed<T>[] {
    const out: Flushed<T>[] = [];
    for (const [key, template] of this.templates) {
      if (!match(key, template)) continue;
      this.templates.delete(key);
      const text = this.maskers.flush(key);
      if (text !== '') out.push({ key, text, template });
    }
    return out;
  }
}
