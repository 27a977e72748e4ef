import { Session } from '../../domain/session';
import { Item } from '../schema';

/** The coach features' attributes; `result` is a JSON string so any JSON round-trips. Absent: none. */
export function coachAttributes(s: Session): Item {
  return {
    ...(s.turnCount ? { turnCount: s.turnCount } : {}),
    ...(s.result !== undefined && s.result !== null ? { result: JSON.stringify(s.result) } : {}),
    ...(s.resultError ? { resultError: s.resultError } : {}),
    ...(s.redactions ? { redactions: s.redactions } : {}),
  };
}

export function coachFieldsOf(item: Item): Pick<Session, 'turnCount' | 'result' | 'resultError' | 'redactions'> {
  const out: Pick<Session, 'turnCount' | 'result' | 'resultError' | 'redactions'> = {};
  if (typeof item.redactions === 'number' && item.redactions > 0) out.redactions = item.redactions;
  if (typeof item.turnCount === 'number' && Number.isFinite(item.turnCount)) out.turnCount = item.turnCount;
  const { result, resultError } = storedResultOf(item);
  if (result) out.result = result;
  if (resultError) out.resultError = resultError;
  return out;
}

/** `result` (a JSON string) and `resultError` of an item that stores a result: a session or an outcome. */
export function storedResultOf(item: Item): { result: Record<string, unknown> | null; resultError: string | null } {
  let result: Record<string, unknown> | null = null;
  let resultError: string | null = null;
  if (typeof item.result === 'string') {
    try {
      const parsed: unknown = JSON.parse(item.result);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) result = parsed as Record<string, unknown>;
    } catch {
      resultError = 'The stored result could not be read';
    }
  }
  if (typeof item.resultError === 'string') resultError = item.resultError;
  return { result, resultError };
}
