import { Session } from '../../domain/session';
import { and, expr, Expression, Item, params, set, unexpired } from '../schema';
import type { MemoryWrite } from '../../sessions/repository';
import type { TokenUsage } from '../../domain/usage';

/** The coach features' attributes; `result` is a JSON string so any JSON round-trips. Absent: none. */
export function coachAttributes(s: Session): Item {
  return {
    ...(s.turnCount ? { turnCount: s.turnCount } : {}),
    ...(s.result !== undefined && s.result !== null ? { result: JSON.stringify(s.result) } : {}),
    ...(s.resultError ? { resultError: s.resultError } : {}),
    ...(s.redactions ? { redactions: s.redactions } : {}),
    ...(s.summary ? { summary: s.summary } : {}),
    ...(s.summaryThrough ? { summaryThrough: s.summaryThrough } : {}),
    ...(s.title ? { title: s.title } : {}),
  };
}

/** The coach's memory on the session item (src/sessions/memory.ts); a transfer that changes the owner removes what its session does not carry. */
export const MEMORY_ATTRIBUTES = ['summary', 'summaryThrough', 'title'] as const;

type CoachFields = Pick<Session, 'turnCount' | 'result' | 'resultError' | 'redactions' | 'summary' | 'summaryThrough' | 'title'>;

export function coachFieldsOf(item: Item): CoachFields {
  const out: CoachFields = {};
  if (typeof item.summary === 'string' && item.summary) out.summary = item.summary;
  if (typeof item.summaryThrough === 'number' && item.summaryThrough > 0) out.summaryThrough = item.summaryThrough;
  if (typeof item.title === 'string' && item.title) out.title = item.title;
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

/**
 * The coach's memory written without a version, so it never races the user's next message:
 * a summary only over the `summaryThrough` that was read, a title only where there is none,
 * and either only while the owner read still owns the session (a transfer in between wins).
 */
export function memoryUpdate(session: Session, memory: MemoryWrite, now: number, usage?: TokenUsage) {
  const sets: Expression[] = [];
  // No erasure redacted messages since the read (what was folded may quote the erased user).
  const redactions = session.redactions ? expr('redactions = :redactions', { ':redactions': session.redactions }) : expr('attribute_not_exists(redactions)');
  const conditions: Expression[] = [expr('userId = :owner', { ':owner': session.userId }), unexpired(now), redactions];
  if (memory.summary) {
    const { text, through, after } = memory.summary;
    sets.push(text ? expr('summary = :summary, summaryThrough = :through', { ':summary': text, ':through': through }) : expr('summaryThrough = :through', { ':through': through }));
    conditions.push(after ? expr('summaryThrough = :after', { ':after': after }) : expr('attribute_not_exists(summaryThrough)'));
  }
  if (memory.title) {
    sets.push(expr('title = :title', { ':title': memory.title }));
    conditions.push(expr('attribute_not_exists(title)'));
  }
  const add = usage ? expr(' ADD inputTokens :in, outputTokens :out', { ':in': usage.inputTokens, ':out': usage.outputTokens }) : null;
  const update = set(...sets);
  return params({ UpdateExpression: add ? { ...update, text: update.text + add.text } : update, ConditionExpression: and(...conditions) }, ...(add ? [add] : []));
}
