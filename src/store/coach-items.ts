import { Session } from '../domain/session';
import { Item } from './schema';

/**
 * The session attributes of the coach features (docs/coach.md), on the session item and
 * its hold: `turnCount` (user messages so far), and once completed `result` (stored as a
 * JSON string, so any JSON the schema allows round-trips exactly) or `resultError`.
 * Absent attributes mean "none" (sessions stored before these features read as 0 turns).
 */
export function coachAttributes(s: Session): Item {
  return {
    ...(s.turnCount ? { turnCount: s.turnCount } : {}),
    ...(s.result !== undefined && s.result !== null ? { result: JSON.stringify(s.result) } : {}),
    ...(s.resultError ? { resultError: s.resultError } : {}),
  };
}

export function coachFieldsOf(item: Item): Pick<Session, 'turnCount' | 'result' | 'resultError'> {
  const out: Pick<Session, 'turnCount' | 'result' | 'resultError'> = {};
  if (typeof item.turnCount === 'number' && Number.isFinite(item.turnCount)) out.turnCount = item.turnCount;
  if (typeof item.result === 'string') {
    try {
      const parsed: unknown = JSON.parse(item.result);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) out.result = parsed as Record<string, unknown>;
    } catch {
      out.resultError = 'The stored result could not be read';
    }
  }
  if (typeof item.resultError === 'string') out.resultError = item.resultError;
  return out;
}
