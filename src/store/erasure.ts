import { randomBytes } from 'node:crypto';
import { erasureReach } from '../domain/erasure';
import { DEFAULT_ERASURE_AUDIT_RETENTION_DAYS } from '../defaults';
import { ErasureCounts } from '../domain/user-data';
import { holdKey, holdNames } from './items/hold';
import { MENTION, mentionGsiPk } from './items/mention';
import { userPk } from './items/outcome';
import { ownedByOrExpired, ownerOf, REF_ATTRIBUTES, refOf, sessionKey, sessionPk, userGsiPk } from './items/session';
import { keyOf } from './keys';
import { ErasureJob, redactSession } from './redaction';
import { Expression, INDEXES, indexKeys, inPartition, isUnexpired, Item, params, projection, TABLE_KEYS, typeOf } from './schema';
import { conditional, TableIO } from './table-io';
import { auditorRedaction, ERASURE, erasureAuditItem } from './items/erasure-audit';
import { authorRedaction, tenantTopics, updatedBy } from './items/tenant-topic';

/** Erasure re-reads the user's index partitions until nothing new appears (a session started meanwhile); bounded. */
const ERASURE_ROUNDS = 5;

type SessionRef = { sessionId: string; topicId: string | null };

/**
 * The right to erasure (docs/administration.md), found without a scan: byUser (expired
 * sessions too), the topics' holds (live sessions an index may not list yet) and mentions.
 */
export class Erasure {
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
      for (const a of mentions.filter((m) => typeOf(m) === ERASURE)) audits.set(`${a.pk}|${a.sk}`, a);
      const found = [
        ...(await this.userSessions(tenantId, userId)),
        ...(await this.heldBy(tenantId, userId, topicIds)),
        ...mentions.filter((m) => typeOf(m) === MENTION).map(refOf),
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
   * The user's own or an unreadable session goes whole, session item first (so a concurrent
   * versioned write fails); someone else's is redacted (redaction.ts). False: try again.
   */
  private async eraseFrom(job: ErasureJob, ref: SessionRef): Promise<boolean> {
    const { tenantId, userId, now, counts } = job;
    const key = sessionKey(tenantId, ref.sessionId);
    const item = await this.io.get(key);
    if (erasureReach(isUnexpired(item, now) ? { userId: String(ownerOf(item).userId) } : null, userId) === 'theirs') return redactSession(this.io, job, ref.sessionId);
    if (item) {
      // Still theirs or expired: else it was just transferred to someone else (redacted next round).
      if (!(await conditional(this.io.delete({ Key: key, ...params({ ConditionExpression: ownedByOrExpired(userId, now) }) })))) return false;
      counts.sessionsDeleted++;
      counts.itemsDeleted++;
    }
    const topicId = (item && ownerOf(item).topicId) ?? ref.topicId;
    // The hold may be someone else's by now, or gone: then it stays as it is.
    if (topicId) {
      const hold = { Key: holdKey(tenantId, topicId), ...params({ ConditionExpression: holdNames(ref.sessionId) }) };
      if (await conditional(this.io.delete(hold))) counts.itemsDeleted++;
    }
    counts.itemsDeleted += await this.deleteAll({ pk: sessionPk(tenantId, ref.sessionId) });
    return true;
  }

  /** Every session of the user in byUser, with no ttl filter: expired-but-undeleted ones too. */
  private async userSessions(tenantId: string, userId: string): Promise<SessionRef[]> {
    return (await this.indexed(userGsiPk(tenantId, userId), projection(...REF_ATTRIBUTES))).map(refOf);
  }

  /** Items naming the user outside their own sessions (mentions, audits of erasures they made), unfiltered. */
  private mentions(tenantId: string, userId: string): Promise<Item[]> {
    return this.indexed(mentionGsiPk(tenantId, userId), projection('pk', 'sk', 'type', ...REF_ATTRIBUTES));
  }

  private async indexed(partition: string, attributes: Expression): Promise<Item[]> {
    const index = INDEXES.byUser;
    const out: Item[] = [];
    const pages = this.io.queryPages({ IndexName: index.name, ...params({ KeyConditionExpression: indexKeys(index, partition), ProjectionExpression: attributes }) });
    for await (const page of pages) out.push(...page);
    return out;
  }

  /** Live sessions of the user found through the topics' holds (consistent reads, none missed: table-io.ts). */
  private async heldBy(tenantId: string, userId: string, topicIds: readonly string[]): Promise<SessionRef[]> {
    const holds = await this.io.batchGet(topicIds.map((t) => holdKey(tenantId, t)));
    return holds.filter((h): h is Item => h !== undefined && ownerOf(h).userId === userId).map(refOf);
  }

  /** An erasure the user made as an admin: its record keeps the erasure, not their name, and leaves their mentions. */
  private async redactAudit(job: ErasureJob, audit: Item): Promise<void> {
    if (await conditional(this.io.update({ Key: keyOf(audit), ...params(auditorRedaction(job.userId, job.pseudonym)) }))) {
      job.counts.itemsRedacted++;
    }
  }

  /** Tenant topics the user last changed as an admin name the pseudonym instead (one partition, a tenant's few topics). */
  private async redactTopicAuthor(job: ErasureJob): Promise<void> {
    const filter = { ...params({ KeyConditionExpression: tenantTopics(job.tenantId), FilterExpression: updatedBy(job.userId) }), ProjectionExpression: TABLE_KEYS };
    for await (const page of this.io.queryPages(filter)) {
      for (const topic of page) {
        if (await conditional(this.io.update({ Key: keyOf(topic), ...params(authorRedaction(job.userId, job.pseudonym)) }))) job.counts.itemsRedacted++;
      }
    }
  }

  /** Deletes every item of a partition (25 per BatchWriteItem, unprocessed ones retried); returns how many. */
  private async deleteAll(partition: { pk: string }): Promise<number> {
    let deleted = 0;
    const pages = this.io.queryPages({ ...params({ KeyConditionExpression: inPartition(partition.pk) }), ProjectionExpression: TABLE_KEYS, ConsistentRead: true });
    for await (const page of pages) {
      await this.io.batchWrite(page.map((i) => ({ delete: keyOf(i) })));
      deleted += page.length;
    }
    return deleted;
  }
}
