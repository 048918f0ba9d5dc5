// The session's spend: what completed exchanges cost, and what the ones still in flight hold in reserve.
//
// Reserve, then settle: a request's estimate counts against the budget from the moment the policy lets it
// through (before any await, so two requests decided in the same instant cannot both see the room only one
// of them has) until its answer completes, when the reservation is replaced by the billed cost. So requests
// in flight together can never pass the budget by more than one request's estimate (the last one admitted
// fits by its estimate; only what an answer costs beyond its own estimate can add to that).

export interface SpendTotals {
  /** USD charged for completed exchanges. */
  costUsd: number;
  /** The part of `costUsd` that rests on estimates (usage guardrun estimated, or a guessed price). */
  estimatedUsd: number;
  /** USD reserved by the exchanges still in flight. */
  reservedUsd: number;
}

export class SpendLedger<K extends object = object> {
  private readonly held = new Map<K, number>();
  private reserved = 0;

  constructor(private readonly totals: { costUsd: number; estimatedUsd: number }) {}

  /** Settled spend (USD). */
  spentUsd(): number {
    return this.totals.costUsd;
  }

  /** Sum of the reservations in flight (USD). */
  reservedUsd(): number {
    return this.reserved;
  }

  /** Holds `usd` for `key` until it is settled or released (a second reserve replaces the first). */
  reserve(key: K, usd: number): void {
    if (!(usd > 0) || !Number.isFinite(usd)) return;
    this.release(key);
    this.held.set(key, usd);
    this.reserved += usd;
  }

  /** What `key` holds (0 when nothing). */
  reservation(key: K): number {
    return this.held.get(key) ?? 0;
  }

  /** Drops the reservation (the request was denied, or never reached the upstream). */
  release(key: K): void {
    const usd = this.held.get(key);
    if (usd === undefined) return;
    this.held.delete(key);
    this.reserved = this.held.size === 0 ? 0 : this.reserved - usd; // no float drift once nothing is held
  }

  /** Replaces the reservation with what the exchange cost; `estimated` when that figure is an estimate. */
  settle(key: K, costUsd: number | undefined, estimated: boolean): void {
    this.release(key);
    if (costUsd === undefined || !(costUsd > 0)) return;
    this.totals.costUsd += costUsd;
    if (estimated) this.totals.estimatedUsd += costUsd;
  }
}
