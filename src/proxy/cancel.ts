// Cancels one upstream request. undici accepts an EventEmitter as its signal, which costs less per request
// than an AbortController (no AbortSignal, no DOMException).
import { EventEmitter } from 'node:events';

export class Cancel extends EventEmitter {
  aborted = false;
  /**
   * Set by the relay once an answer streams: the agent leaving then no longer cancels the upstream request at
   * once; the relay reads on (bounded) to collect the usage the provider bills, then cancels it itself.
   */
  keepReading = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}
