import { randomBytes } from 'node:crypto';
import { ErasureCounts } from '../domain/user-data';
import { holdKey, keyOf, mentionGsiPk, sessionKey, sessionPk, tenantTopicsPk, userGsiPk, userPk } from './keys';
import { ErasureJob, redactSession } from './redaction';
import { expired, expr, INDEXES, isUnexpired, Item, or, params } from './schema';
import { conditional, TableIO } from './table-io';
import { DEFAULT_ERASURE_AUDIT_RETENTION_DAYS } from '../defaults';
import { ERASURE, erasureAuditItem, MENTION } from './user-items';

/** Erasure re-reads the user's index partitions until nothing new appears (a session started meanwhile); bounded. */
const ERASURE_ROUNDS = 5;

type SessionRef = { sessionId: string; topicId: string | null };

/**
 * The right to erasure (docs/administration.md): everything of one user of one tenant, found
 * without a scan. Their sessions come from byUser (session items, with no ttl filter, so
 * expired-but-undeleted ones too), the topics' holds (consistent reads: a live session an
 * index does not list yet) and their mentions (byUser under T#<tenant>#M#<user>: sessions
 * they own or owned, also after TTL removed the session item, and sessions they moved as an
 * admin). Their outcomes are their own partition; their name in tenant topics and earlier
 * audits is rewritten (expired-but-undeleted audits too). Last, an audit item records that the
 * erasure happened, kept for the audit retention.
 */
export class Erasure {
  /** `auditRetentionDays`: how long the audit entry of an erasure is kept (ERASURE_AUDIT_RETENTION_DAYS). */
  constructor(
    private readonly io: TableIO,
    private readonly auditRetentionDays = DEFAULT_ERASURE_AUDIT_RETENTION_DAYS,
  ) {}

  async eraseUser(tenantId: string, userId: string, actorId: string, topicIds: readonly string[], now: number): Promise<ErasureCounts> {
    const job: ErasureJob = {
      tenantId,
      userId,
      pseudonym: `erased:${randomBytes(6).toString('hex')}`,
      counts: { sessionsDeleted: 0, itemsDeleted: 0, itemsRedacted: 0 },
      now,
    };
    const done = new Set<string>();
    const audits = new Map<string, Item>();
    for (let round = 0; round < ERASURE_ROUNDS; round++) {
      const mentions = await this.mentions(tenantId, userId);
      for (const a of mentions.filter((m) => m.type === ERASURE)) audits.set(`${a.pk}|${a.sk}`, a);
      const found = [
        ...(await this.userSessions(tenantId, userId)),
        ...(await this.heldBy(tenantId, userId, topicIds)),
        ...mentions.filter((m) => m.type === MENTION).map(refOf),
      ];
      const fresh = new Map(found.filter((s) => !done.has(s.sessionId)).map((s) => [s.sessionId, s]));
      if (!fresh.size) break;
      for (const ref of fresh.values()) if (await this.eraseFrom(job, ref)) done.add(ref.sessionId);
    }
    for (const audit of audits.values()) await this.redactAudit(job, audit);
    job.counts.itemsDeleted += await this.deleteAll({ pk: userPk(tenantId, userId) });
    await this.redactTopicAuthor(job);
    await this.io.put({
      Item: erasureAuditItem({
        id: randomBytes(8).toString('hex'),
        tenantId,
        userId,
        by: actorId,
        at: now,
        counts: job.counts,
        expiresAt: now + this.auditRetentionDays * 86_400_000,
      }),
    });
    return job.counts;
  }

  /**
   * The user's own session, and one nobody can read any more (expired, or its item already
   * gone: its messages outlive it by up to a day) go whole: the session item first (any
   * concurrent versioned write then fails its condition), the hold only if it still names
   * it, then every child. Someone else's live or ended session keeps everything but what is
   * the user's (redaction.ts). False: try again next round.
   */
  private async eraseFrom(job: ErasureJob, ref: SessionRef): Promise<boolean> {
    const { tenantId, userId, now, counts } = job;
    const key = sessionKey(tenantId, ref.sessionId);
    const item = await this.io.get(key);
    if (isUnexpired(item, now) && item.userId !== userId) return redactSession(this.io, job, ref.sessionId);
    if (item) {
      // Still theirs or expired: else it was just transferred to someone else (redacted next round).
      const theirs = or(expr('userId = :u', { ':u': userId }), expired(now));
      if (!(await conditional(this.io.delete({ Key: key, ...params({ ConditionExpression: theirs }) })))) return false;
      counts.sessionsDeleted++;
      counts.itemsDeleted++;
    }
    const topicId = typeof item?.topicId === 'string' ? item.topicId : ref.topicId;
    // The hold may be someone else's by now, or gone: then it stays as it is.
    if (topicId) {
      const hold = { Key: holdKey(tenantId, topicId), ...params({ ConditionExpression: expr('sessionId = :id', { ':id': ref.sessionId }) }) };
      if (await conditional(this.io.delete(hold))) counts.itemsDeleted++;
    }
    counts.itemsDeleted += await this.deleteAll({ pk: sessionPk(tenantId, ref.sessionId) });
    return true;
  }

  /** Every session of the user in byUser, with no ttl filter: expired-but-undeleted ones too. */
  private async userSessions(tenantId: string, userId: string): Promise<SessionRef[]> {
    return (await this.indexed(userGsiPk(tenantId, userId), 'sessionId, topicId')).map(refOf);
  }

  /** Items naming the user outside their own sessions (mentions, audits of erasures they made), unfiltered. */
  private mentions(tenantId: string, userId: string): Promise<Item[]> {
    return this.indexed(mentionGsiPk(tenantId, userId), 'pk, sk, #type, sessionId, topicId', { '#type': 'type' });
  }

  private async indexed(partition: string, projection: string, names: Record<string, string> = {}): Promise<Item[]> {
    const index = INDEXES.byUser;
    const out: Item[] = [];
    const pages = this.io.queryPages({
      IndexName: index.name,
      ...params({ KeyConditionExpression: expr(`${index.pk} = :u`, { ':u': partition }, names) }),
      ProjectionExpression: projection,
    });
    for await (const page of pages) out.push(...page);
    return out;
  }

  /** Live sessions of the user found through the topics' holds (consistent reads, none missed: table-io.ts). */
  private async heldBy(tenantId: string, userId: string, topicIds: readonly string[]): Promise<SessionRef[]> {
    const holds = await this.io.batchGet(topicIds.map((t) => holdKey(tenantId, t)));
    return holds.filter((h): h is Item => h?.userId === userId).map(refOf);
  }

  /** An erasure the user made as an admin: its record keeps the erasure, not their name, and leaves their mentions. */
  private async redactAudit(job: ErasureJob, audit: Item): Promise<void> {
    const index = INDEXES.byUser;
    const update = expr(`SET erasedBy = :p REMOVE ${index.pk}, ${index.sk}`, { ':p': job.pseudonym });
    const condition = expr('erasedBy = :u', { ':u': job.userId });
    if (await conditional(this.io.update({ Key: keyOf(audit), ...params({ UpdateExpression: update, ConditionExpression: condition }) }))) {
      job.counts.itemsRedacted++;
    }
  }

  /** Tenant topics the user last changed as an admin name the pseudonym instead (one partition, a tenant's few topics). */
  private async redactTopicAuthor(job: ErasureJob): Promise<void> {
    const theirs = expr('updatedBy = :u', { ':u': job.userId });
    const keys = expr('pk = :pk', { ':pk': tenantTopicsPk(job.tenantId) });
    for await (const page of this.io.queryPages({ ...params({ KeyConditionExpression: keys, FilterExpression: theirs }), ProjectionExpression: 'pk, sk' })) {
      for (const topic of page) {
        const update = params({ UpdateExpression: expr('SET updatedBy = :p', { ':p': job.pseudonym }), ConditionExpression: theirs });
        if (await conditional(this.io.update({ Key: keyOf(topic), ...update }))) job.counts.itemsRedacted++;
      }
    }
  }

  /** Deletes every item of a partition (25 per BatchWriteItem, unprocessed ones retried); returns how many. */
  private async deleteAll(partition: { pk: string }): Promise<number> {
    let deleted = 0;
    const pages = this.io.queryPages({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': partition.pk },
      ProjectionExpression: 'pk, sk',
      ConsistentRead: true,
    });
    for await (const page of pages) {
      await this.io.batchWrite(page.map((i) => ({ delete: keyOf(i) })));
      deleted += page.length;
    }
    return deleted;
  }
}

const refOf = (i: Item): SessionRef => ({ sessionId: String(i.sessionId), topicId: typeof i.topicId === 'string' ? i.topicId : null });
