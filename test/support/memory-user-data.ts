import { badInput } from '../../src/domain/errors';
import { isExpired, Session } from '../../src/domain/session';
import { erasureReach, redactedMessage, redactedSession, redactedTransfer, redactionWalker } from '../../src/domain/erasure';
import { ERASED_CONTENT, ERASED_RESULT, ErasureCounts, ExportPage, Outcome, TransferEntry } from '../../src/domain/user-data';
import { AdminPageRequest, TransferPage, TransferPageRequest, UserTransferPageRequest } from '../../src/sessions/admin-repository';
import { visibleToOwner } from '../../src/domain/visibility';
import { OutcomePage, OutcomePageRequest } from '../../src/sessions/repository';
import { clientMessageKey, copy, holdKey, MemoryState, mentionKey, outcomeKey, sessionKey } from './memory-state';

/**
 * The user-data half of the in-memory repository, with DynamoDB's semantics (src/store/
 * user-queries.ts, erasure.ts, user-export.ts; the erasure rules: src/domain/erasure.ts): outcomes, transfer histories,
 * whether the tenant knows a user, erasure (own sessions deleted, other users' sessions
 * redacted) and the export, paged by an offset cursor.
 */
export class MemoryUserData extends MemoryState {
  private erasures = 0;

  async listOutcomes(tenantId: string, userId: string, page: OutcomePageRequest, now: number): Promise<OutcomePage> {
    await this.enter('listOutcomes');
    const found = this.outcomesOf(tenantId, userId, now).filter((o) => page.afterTopicId === null || o.topicId > page.afterTopicId);
    return { outcomes: found.slice(0, page.limit).map(copy), hasNextPage: found.length > page.limit };
  }

  async listTransfers(tenantId: string, sessionId: string, page: TransferPageRequest, now: number): Promise<TransferPage> {
    await this.enter('listTransfers');
    if (!this.childrenVisible(tenantId, sessionId, now)) return { transfers: [], hasNextPage: false };
    const found = this.transfersOf(tenantId, sessionId).filter((t) => page.afterSeq === null || t.seq > page.afterSeq);
    return { transfers: found.slice(0, page.limit).map(copy), hasNextPage: found.length > page.limit };
  }

  /** As DynamoDB's copies in the user's mention partition: the transfers from or to them, newest first (at, session, seq). */
  async listUserTransfers(tenantId: string, userId: string, page: UserTransferPageRequest, now: number): Promise<TransferPage> {
    await this.enter('listUserTransfers');
    const position = (t: { at: number; sessionId: string; seq: number }) => `${new Date(t.at).toISOString()}#${t.sessionId}#${String(t.seq).padStart(8, '0')}`;
    const found = [...this.transfers.entries()]
      .filter(([k, t]) => k.startsWith(`${JSON.stringify(tenantId)}|`) && (t.from === userId || t.to === userId) && this.childrenVisible(tenantId, t.sessionId, now))
      .map(([, t]) => t)
      .filter((t) => page.before === null || position(t) < position(page.before))
      .sort((a, b) => (position(a) < position(b) ? 1 : -1));
    return { transfers: found.slice(0, page.limit).map(copy), hasNextPage: found.length > page.limit };
  }

  async isKnownUser(tenantId: string, userId: string, now: number): Promise<boolean> {
    await this.enter('isKnownUser');
    const owns = [...this.sessions.values()].some((s) => s.tenantId === tenantId && s.userId === userId && !isExpired(s.expiresAt, now));
    const owned = [...this.mentions.values()].some((m) => m.tenantId === tenantId && m.userId === userId && m.owner && this.childrenVisible(tenantId, m.sessionId, now));
    return owns || owned || this.outcomesOf(tenantId, userId, now).length > 0;
  }

  async eraseUserData(tenantId: string, userId: string, actorId: string, _topicIds: readonly string[], now: number): Promise<ErasureCounts> {
    await this.enter('eraseUserData');
    const counts: ErasureCounts = { sessionsDeleted: 0, itemsDeleted: 0, itemsRedacted: 0 };
    const pseudonym = `erased:memory-${++this.erasures}`;
    const ids = new Set([
      ...[...this.sessions.values()].filter((s) => s.tenantId === tenantId && s.userId === userId).map((s) => s.id),
      ...[...this.mentions.values()].filter((m) => m.tenantId === tenantId && m.userId === userId).map((m) => m.sessionId),
    ]);
    for (const sessionId of ids) {
      const s = this.sessions.get(sessionKey(tenantId, sessionId));
      if (erasureReach(s && !isExpired(s.expiresAt, now) ? s : null, userId) === 'whole') this.deleteSession(tenantId, sessionId, s, counts);
      else if (s) this.redact(s, userId, pseudonym, counts);
    }
    for (const [key, o] of [...this.outcomes]) {
      if (o.tenantId !== tenantId || o.userId !== userId) continue;
      this.outcomes.delete(key);
      counts.itemsDeleted++;
    }
    for (const audit of this.audits) {
      if (audit.tenantId !== tenantId || audit.by !== userId || audit.userId === userId) continue;
      audit.by = pseudonym;
      counts.itemsRedacted++;
    }
    this.audits.push({ tenantId, userId, by: actorId, at: now, counts: { ...counts } });
    return counts;
  }

  /** Every record of the user at once, paged by offset: the same records as DynamoDB's export, in the same order. */
  async exportUserData(tenantId: string, userId: string, page: AdminPageRequest, now: number): Promise<ExportPage> {
    await this.enter('exportUserData');
    const from = page.cursor === null ? 0 : Number(/^mem:(\d{1,9})$/.exec(page.cursor)?.[1] ?? NaN);
    if (!Number.isInteger(from)) throw badInput('Invalid cursor', { argumentName: 'after' });
    const all = this.recordsOf(tenantId, userId, now);
    const records = all.slice(from, from + page.limit);
    return { records, cursor: from + page.limit < all.length ? `mem:${from + page.limit}` : null };
  }

  // ---- internals -------------------------------------------------------------

  protected transfersOf(tenantId: string, sessionId: string): TransferEntry[] {
    const prefix = `${sessionKey(tenantId, sessionId)}|X|`;
    return [...this.transfers]
      .filter(([k]) => k.startsWith(prefix))
      .map(([, t]) => t)
      .sort((a, b) => a.seq - b.seq);
  }

  private outcomesOf(tenantId: string, userId: string, now: number): Outcome[] {
    return [...this.outcomes.values()]
      .filter((o) => o.tenantId === tenantId && o.userId === userId && (o.expiresAt === null || o.expiresAt > now))
      .sort((a, b) => (a.topicId < b.topicId ? -1 : 1));
  }

  private deleteSession(tenantId: string, sessionId: string, s: Session | undefined, counts: ErasureCounts): void {
    const key = sessionKey(tenantId, sessionId);
    if (s) {
      this.sessions.delete(key);
      counts.sessionsDeleted++;
      counts.itemsDeleted++;
      const hk = holdKey(tenantId, s.topicId);
      if (this.holds.get(hk)?.session.id === sessionId) {
        this.holds.delete(hk);
        counts.itemsDeleted++;
      }
    }
    for (const children of [this.messages, this.clientMessages, this.regenerations, this.claims, this.transfers, this.mentions] as Map<string, unknown>[]) {
      for (const k of [...children.keys()]) {
        if (!k.startsWith(`${key}|`)) continue;
        children.delete(k);
        counts.itemsDeleted++;
      }
    }
  }

  /** Someone else's session, by the rules of domain/erasure.ts (src/store/redaction.ts applies them to the table). */
  private redact(s: Session, userId: string, pseudonym: string, counts: ErasureCounts): void {
    const redacts = redactionWalker(userId);
    let theirs = 0;
    for (const m of this.storedMessages(s.tenantId, s.id)) {
      const what = redacts(m);
      // Each is redacted once (DynamoDB: on a condition that it is still theirs, or not yet redacted).
      if (!what || (what === 'answer' && m.content === ERASED_CONTENT)) continue;
      if (what === 'theirs') theirs++;
      if (what === 'theirs' && m.clientMessageId && this.clientMessages.delete(clientMessageKey(s.tenantId, s.id, m.clientMessageId))) counts.itemsDeleted++;
      this.messages.set(`${sessionKey(s.tenantId, s.id)}|${m.seq}`, redactedMessage(m));
      counts.itemsRedacted++;
    }
    for (const [key, t] of this.transfers) {
      const after = t.sessionId === s.id ? redactedTransfer(t, userId, pseudonym) : null;
      if (!after) continue;
      this.transfers.set(key, after);
      counts.itemsRedacted++;
    }
    const rewrite = redactedSession(s, userId, pseudonym, theirs > 0);
    if (rewrite) {
      this.sessions.set(sessionKey(s.tenantId, s.id), copy(rewrite.session));
      if (this.holds.get(holdKey(s.tenantId, s.topicId))?.session.id === s.id) this.holds.set(holdKey(s.tenantId, s.topicId), { session: copy(rewrite.session) });
      counts.itemsRedacted++;
    }
    const outcome = this.outcomes.get(outcomeKey(s.tenantId, s.userId, s.topicId));
    if (rewrite?.resultDropped && outcome?.sessionId === s.id) {
      this.outcomes.set(outcomeKey(s.tenantId, s.userId, s.topicId), { ...outcome, result: null, resultError: ERASED_RESULT });
      counts.itemsRedacted++;
    }
    if (this.mentions.delete(mentionKey(s.tenantId, s.id, userId))) counts.itemsDeleted++;
  }

  private recordsOf(tenantId: string, userId: string, now: number): Record<string, unknown>[] {
    const records: Record<string, unknown>[] = this.outcomesOf(tenantId, userId, now).map((o) => ({ type: 'outcome', topicId: o.topicId, sessionId: o.sessionId, result: o.result }));
    const visible = (s: Session) => !isExpired(s.expiresAt, now);
    const own = [...this.sessions.values()].filter((s) => s.tenantId === tenantId && s.userId === userId && visible(s));
    const others = [...this.mentions.values()]
      .filter((m) => m.tenantId === tenantId && m.userId === userId)
      .map((m) => this.sessions.get(sessionKey(tenantId, m.sessionId)))
      .filter((s): s is Session => !!s && visible(s) && s.userId !== userId);
    for (const s of [...own, ...others]) {
      const mine = s.userId === userId;
      if (mine) records.push({ type: 'session', sessionId: s.id, topicId: s.topicId, status: s.status, result: s.result ?? null, title: s.title ?? null, summary: s.summary ?? null });
      for (const m of this.storedMessages(tenantId, s.id)) {
        if (mine ? visibleToOwner(s, m) : m.authorId === userId) records.push({ type: 'message', sessionId: s.id, seq: m.seq, role: m.role, content: m.content, authorId: m.authorId ?? null });
      }
      for (const t of this.transfersOf(tenantId, s.id)) {
        if (mine || [t.from, t.to, t.by].includes(userId)) records.push({ type: 'transfer', sessionId: s.id, fromUserId: t.from, toUserId: t.to, byUserId: t.by });
      }
    }
    return records;
  }
}
