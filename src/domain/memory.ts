import { lastSeqOf, Session } from './session';
import { visibleRanges } from './visibility';

/**
 * The coach's memory across a transfer (docs/administration.md#transfers-and-consent): it is
 * made only of what the owner could read, so it moves with the session only when the new
 * owner may read all of that too. Otherwise summary and title go, and the summary starts
 * again where the new ownership starts: rebuilt from the new owner's turns only.
 */
export function memoryAfterTransfer(previous: Session, next: Session): Session {
  if (carriesOver(previous, next)) return next;
  const out: Session = { ...next, summaryThrough: lastSeqOf(previous) };
  delete out.summary;
  delete out.title;
  return out;
}

/** Everything the previous owner could read, the new one can. */
function carriesOver(previous: Session, next: Session): boolean {
  const before = visibleRanges(previous);
  const after = visibleRanges(next);
  if (!before || !after) return false;
  return before.every(([from, to]) => after.some(([a, b]) => a <= from && to <= b));
}
