/**
 * Why a task reached an operator: each earlier step of the chain in one line, derived from its execution
 * records ("POS: 503 ×3", "email: declined — out of oat milk"). Pure: the records come in, lines go out.
 */

export interface AttemptRecord {
  chainIndex: number;
  attempt: number;
  handlerType: string;
  handlerName: string;
  status: string;
  error?: { code?: string | null; message?: string | null } | null;
}

const LABEL: Record<string, string> = { api: 'POS', webhook: 'webhook', email: 'email' };

const clip = (s: string, max = 80) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** One attempt in a few words: the HTTP status when there was one, else the error's gist. */
export function attemptOutcome(r: AttemptRecord): string {
  const message = r.error?.message?.trim() ?? '';
  switch (r.status) {
    case 'declined': return message ? `declined — ${clip(message)}` : 'declined';
    case 'timed_out': return 'no confirmation in time';
    case 'skipped': return message ? `skipped — ${clip(message)}` : 'skipped';
    case 'completed': case 'awaiting': case 'running': return r.status;
  }
  const http = /\bHTTP (\d{3})\b/.exec(message) ?? /\b([45]\d\d)\b/.exec(message);
  if (http) return http[1]!;
  if (r.error?.code === 'timeout') return 'timeout';
  return clip(message || r.error?.code || r.status, 60);
}

/** Lines in chain order; repeated identical outcomes of one step collapse to "×n". Manual steps are left out. */
export function summarizeAttempts(records: readonly AttemptRecord[]): string[] {
  const steps = new Map<number, AttemptRecord[]>();
  for (const r of [...records].sort((a, b) => a.chainIndex - b.chainIndex || a.attempt - b.attempt)) {
    if (r.handlerType === 'manual') continue;
    steps.set(r.chainIndex, [...(steps.get(r.chainIndex) ?? []), r]);
  }
  return [...steps.values()].map((attempts) => {
    const label = LABEL[attempts[0]!.handlerType] ?? attempts[0]!.handlerName;
    const runs: Array<{ outcome: string; n: number }> = [];
    for (const a of attempts) {
      const outcome = attemptOutcome(a);
      const last = runs.at(-1);
      if (last?.outcome === outcome) last.n++;
      else runs.push({ outcome, n: 1 });
    }
    return `${label}: ${runs.map((r) => (r.n > 1 ? `${r.outcome} ×${r.n}` : r.outcome)).join(', ')}`;
  });
}
