// Cancels one upstream request. undici accepts an EventEmitter as its signal, which costs less per request
// than an AbortController (no AbortSignal, no DOMException).
import { EventEmitter } from 'node:events';

export class Cancel extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}
