/**
 * The SMS dedupe record. `claim` is written before Twilio is called. A crash between the call and `markSent`
 * leaves a claimed record behind; once that claim is stale, one later attempt wins `takeOver`, looks the
 * message up in Twilio's message list, and sends only if Twilio has no such message: exactly once per
 * (action, event), except for the window described in twilio-notifier.ts.
 */

export type SmsRecordState = 'claimed' | 'sent' | 'failed';

export interface SmsClaim {
  actionId: string;
  event: string;
  /** Masked with maskPhone: the record never holds the full number. */
  toMasked: string;
}

export interface SmsStore {
  /** Insert-if-absent. False when any record exists for the key (claimed, sent or failed): do not send. */
  claim(key: string, data: SmsClaim): Promise<boolean>;
  /** The record for a key, or null. */
  get(key: string): Promise<SmsRecord | null>;
  /**
   * Takes over a stale claim: true for exactly one caller per (key, takeovers), which then owns the send
   * (the record's claimedAt is renewed and takeovers incremented).
   */
  takeOver(key: string, takeovers: number): Promise<boolean>;
  markSent(key: string, sid: string): Promise<void>;
  markFailed(key: string, message: string): Promise<void>;
  /** Twilio status callback. False when no record has this message sid; a regression (e.g. `sent` after `delivered`) is ignored but still true. */
  recordStatus(sid: string, status: string, errorCode?: string): Promise<boolean>;
}

export interface SmsRecord extends SmsClaim {
  key: string;
  state: SmsRecordState;
  sid: string | null;
  error: string | null;
  deliveryStatus: string | null;
  deliveryErrorCode: string | null;
  claimedAt: Date;
  /** How many times a stale claim was taken over. */
  takeovers: number;
  updatedAt: Date;
}

/**
 * Twilio callbacks can arrive out of order, so a status only replaces one of a lower rank.
 * Unknown statuses rank 0 and never overwrite a known one. Statuses from Twilio's MessageStatus enum.
 */
const STATUS_RANK: Record<string, number> = {
  scheduled: 1,
  accepted: 1,
  queued: 2,
  sending: 3,
  sent: 4,
  failed: 5,
  undelivered: 5,
  canceled: 5,
  delivered: 6,
  partially_delivered: 6,
  read: 7,
};

export function statusRank(status: string | null): number {
  return status === null ? -1 : (STATUS_RANK[status] ?? 0);
}

/** True when `next` should replace `current`. */
export function isStatusAdvance(current: string | null, next: string): boolean {
  return statusRank(next) >= statusRank(current);
}

/** For tests and single-process demos; production uses the Mongo store with a unique index on `key`. */
export class InMemorySmsStore implements SmsStore {
  private readonly records = new Map<string, SmsRecord>();
  private readonly takeoverClaims = new Set<string>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  async claim(key: string, data: SmsClaim): Promise<boolean> {
    // Check-and-set in one synchronous step: concurrent notify calls cannot both win.
    if (this.records.has(key)) return false;
    const at = this.now();
    this.records.set(key, { key, ...data, state: 'claimed', sid: null, error: null, deliveryStatus: null, deliveryErrorCode: null, claimedAt: at, takeovers: 0, updatedAt: at });
    return true;
  }

  async takeOver(key: string, takeovers: number): Promise<boolean> {
    const claim = `${key}:${takeovers}`;
    if (this.takeoverClaims.has(claim) || !this.records.has(key)) return false;
    this.takeoverClaims.add(claim);
    this.update(key, { claimedAt: this.now(), takeovers: takeovers + 1 });
    return true;
  }

  async markSent(key: string, sid: string): Promise<void> {
    this.update(key, { state: 'sent', sid });
  }

  async markFailed(key: string, message: string): Promise<void> {
    this.update(key, { state: 'failed', error: message });
  }

  async recordStatus(sid: string, status: string, errorCode?: string): Promise<boolean> {
    const record = [...this.records.values()].find((r) => r.sid === sid);
    if (!record) return false;
    if (isStatusAdvance(record.deliveryStatus, status)) {
      this.update(record.key, { deliveryStatus: status, deliveryErrorCode: errorCode ?? null });
    }
    return true;
  }

  async get(key: string): Promise<SmsRecord | null> {
    const record = this.records.get(key);
    return record ? { ...record } : null;
  }

  /** Synchronous read for tests. */
  peek(key: string): SmsRecord | undefined {
    const record = this.records.get(key);
    return record ? { ...record } : undefined;
  }

  /** Tests: back-date a claim as if its sender had died long ago. */
  age(key: string, ms: number): void {
    const record = this.records.get(key);
    if (record) this.records.set(key, { ...record, claimedAt: new Date(record.claimedAt.getTime() - ms) });
  }

  all(): SmsRecord[] {
    return [...this.records.values()].map((r) => ({ ...r }));
  }

  private update(key: string, patch: Partial<SmsRecord>): void {
    const record = this.records.get(key);
    if (!record) throw new Error(`No SMS record for key ${key}`);
    this.records.set(key, { ...record, ...patch, updatedAt: this.now() });
  }
}
