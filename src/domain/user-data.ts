import { Session } from './session';

/** A user's latest completion of a topic; outlives the session (docs/contract.md "Outcomes"). */
export interface Outcome {
  tenantId: string;
  userId: string;
  topicId: string;
  sessionId: string;
  completedAt: number;
  result: Record<string, unknown> | null;
  resultError: string | null;
  /** When it is deleted (the retention), or null: kept until the user's data is erased. */
  expiresAt: number | null;
}

/** The outcome a completed session records for its owner. */
export function outcomeOf(completed: Session, retentionSeconds: number | null): Outcome {
  const completedAt = completed.endedAt ?? completed.updatedAt;
  return {
    tenantId: completed.tenantId,
    userId: completed.userId,
    topicId: completed.topicId,
    sessionId: completed.id,
    completedAt,
    result: completed.result ?? null,
    resultError: completed.resultError ?? null,
    expiresAt: retentionSeconds === null ? null : completedAt + retentionSeconds * 1000,
  };
}

/** One hop of the append-only transfer history; `seq` is the session version it wrote, so entries sort. */
export interface TransferEntry {
  sessionId: string;
  seq: number;
  at: number;
  from: string;
  to: string;
  by: string;
  /** The session's topic (null on entries stored before it was recorded). */
  topicId: string | null;
  /** The previous owner had allowed their part of the conversation to move with it (false on older entries). */
  withContent: boolean;
}

/** What an erased user's message (and the coach's answer to it) reads in another user's session. */
export const ERASED_CONTENT = "[removed: its author's data was erased]";
/** The resultError of a result removed because it was extracted from an erased user's messages. */
export const ERASED_RESULT = 'The result was removed: it was extracted from messages of a user whose data was erased';

/** What eraseMyData / eraseUserData did. */
export interface ErasureCounts {
  /** Session items deleted. */
  sessionsDeleted: number;
  /** Every item deleted: sessions, holds, messages, records, transfer entries, outcomes. */
  itemsDeleted: number;
  /** Items of other users' data rewritten to remove the user: messages, transfer entries, audits, results. */
  itemsRedacted: number;
}

/** One page of a user's data export (exportMyData): records in order, and where the next page starts. */
export interface ExportPage {
  records: Record<string, unknown>[];
  /** Null when this page is the last. */
  cursor: string | null;
}

