import { isExpired, isLive, Message, Session } from '../../src/domain/session';
import { AdminPageRequest } from '../../src/sessions/admin-repository';
import { ByteBudget, MessagePageRequest, SessionPage, SessionPageRequest } from '../../src/sessions/repository';
import { decodeCursor, encodeCursor } from '../../src/store/cursor';
import { messageItem } from '../../src/store/items/message';
import { activitySk } from '../../src/store/items/session-indexes';
import { minuteOf } from '../../src/store/schema';
import { itemBytes } from '../../src/store/table-io';
import { copy } from './memory-state';
import { MemoryReplies } from './memory-replies';

/**
 * The in-memory repository's listings: a session's message pages (under a byte budget, as
 * the store's), and sessions in the order of DynamoDB's indexes (byUser, byTenantIdle,
 * byTenantTopic), paged with the store's own cursors (src/store/cursor.ts).
 */
export class MemoryListings extends MemoryReplies {
  async listMessages(tenantId: string, sessionId: string, page: MessagePageRequest, now: number): Promise<Message[]> {
    await this.enter('listMessages');
    return this.pageOf(tenantId, sessionId, page, now);
  }

  /** As the store: messages in the page's order while their items fit the budget (at least one); cut when more were left. */
  async listMessagePage(tenantId: string, sessionId: string, page: MessagePageRequest, budget: ByteBudget, now: number) {
    await this.enter('listMessagePage');
    const all = this.pageOf(tenantId, sessionId, page, now);
    const inOrder = page.direction === 'forward' ? all : [...all].reverse();
    const kept: Message[] = [];
    let used = 0;
    for (const m of inOrder) {
      const size = itemBytes(messageItem(tenantId, m, 0));
      if (kept.length && used + size > budget.bytes) break;
      kept.push(m);
      used += size;
    }
    const cut = kept.length < inOrder.length;
    return { messages: page.direction === 'forward' ? kept : kept.reverse(), cut, bytes: used };
  }

  private pageOf(tenantId: string, sessionId: string, page: MessagePageRequest, now: number): Message[] {
    if (!this.childrenVisible(tenantId, sessionId, now)) return [];
    const until = page.until ?? null;
    const all = this.storedMessages(tenantId, sessionId).filter((m) => until === null || (page.direction === 'forward' ? m.seq <= until : m.seq >= until));
    if (page.direction === 'forward') {
      const from = page.from ?? 0;
      return all.filter((m) => m.seq > from).slice(0, page.limit);
    }
    const before = page.from ?? Number.POSITIVE_INFINITY;
    const older = all.filter((m) => m.seq < before);
    return older.slice(Math.max(older.length - page.limit, 0));
  }

  async listUserSessions(tenantId: string, userId: string, page: SessionPageRequest, now: number): Promise<SessionPage> {
    await this.enter('listUserSessions');
    const after = positionAfter(page.cursor);
    const all = [...this.sessions.values()]
      .filter((s) => s.tenantId === tenantId && s.userId === userId)
      .sort(byRecentActivity);
    // Like the DynamoDB index: the cursor is a position, the filter applies after it.
    const startAt = after ? all.findIndex((s) => comparePosition(positionOf(s), after!) > 0) : 0;
    const found = (startAt < 0 ? [] : all.slice(startAt))
      .filter((s) => !isExpired(s.expiresAt, now))
      .filter((s) => !page.statuses || page.statuses.includes(s.status));
    const items = found.slice(0, page.limit);
    return {
      sessions: items.map(copy),
      cursors: items.map(cursorOf),
      hasNextPage: found.length > page.limit,
    };
  }

  async listIdleSessions(tenantId: string, before: number, page: AdminPageRequest, now: number): Promise<SessionPage> {
    await this.enter('listIdleSessions');
    const after = positionAfter(page.cursor);
    // Oldest activity first: the reverse of index order.
    const all = [...this.sessions.values()]
      .filter((s) => s.tenantId === tenantId && isLive(s.status) && s.lastActivityAt < before)
      .sort((a, b) => byRecentActivity(b, a));
    const found = all.filter((s) => !after || comparePosition(positionOf(s), after) < 0).filter((s) => !isExpired(s.expiresAt, now));
    return this.adminPage(found, page.limit);
  }

  async listTenantSessions(tenantId: string, topicIds: readonly string[], page: SessionPageRequest, now: number): Promise<SessionPage> {
    await this.enter('listTenantSessions');
    const after = positionAfter(page.cursor);
    const found = [...this.sessions.values()]
      .filter((s) => s.tenantId === tenantId && topicIds.includes(s.topicId))
      .sort(byRecentActivity)
      .filter((s) => !after || comparePosition(positionOf(s), after) > 0)
      .filter((s) => !isExpired(s.expiresAt, now))
      .filter((s) => !page.statuses || page.statuses.includes(s.status));
    return this.adminPage(found, page.limit);
  }

  private adminPage(found: Session[], limit: number): SessionPage {
    const items = found.slice(0, limit);
    return { sessions: items.map(copy), cursors: items.map(cursorOf), hasNextPage: found.length > limit };
  }
}

const positionOf = (s: Session) => activitySk(minuteOf(s.lastActivityAt), s.id);

/** Negative when position `a` comes before `b` in index order. */
const comparePosition = (a: string, b: string) => (a > b ? -1 : a < b ? 1 : 0);

const byRecentActivity = (a: Session, b: Session) => comparePosition(positionOf(a), positionOf(b));

const cursorOf = (s: Session) => encodeCursor(positionOf(s));
const positionAfter = (cursor: string | null) => (cursor !== null ? decodeCursor(cursor).position : null);
