import { ErasureCounts } from '../../domain/user-data';
import { expr, INDEXES, isoTime, Item, toTtl, TTL_ATTRIBUTE } from '../schema';
import { outcomeIsLive } from './outcome';
import { mentionGsiPk } from './mention';
import { encodeId, Key } from '../keys';

/** That an erasure happened (no content); also under the admin's mentions so erasing the admin reaches it. */
export const ERASURE = 'ERASURE';

const { byUser } = INDEXES;

export interface ErasureAudit {
  id: string;
  tenantId: string;
  /** Whose data was erased. */
  userId: string;
  /** Who erased it: an admin, or the user themselves. */
  by: string;
  at: number;
  counts: ErasureCounts;
  /** When the entry goes (ms): the audit is a record that the request was carried out, not kept forever. */
  expiresAt: number;
}

export function erasureAuditItem(a: ErasureAudit): Item {
  return {
    ...erasureAuditKey(a.tenantId, a.at, a.id),
    type: ERASURE,
    erasureId: a.id,
    userId: a.userId,
    erasedBy: a.by,
    at: isoTime(a.at),
    ...a.counts,
    [TTL_ATTRIBUTE]: toTtl(a.expiresAt),
    ...(a.by !== a.userId ? { [byUser.pk]: mentionGsiPk(a.tenantId, a.by), [byUser.sk]: auditGsiSk(a.at, a.id) } : {}),
  };
}

/** An erasure audit within its retention; one written before audits had a ttl is kept. */
export const auditIsLive = (item: Item | undefined, now: number): item is Item => outcomeIsLive(item, now);

/** What an export shows of an audit: when, and the counts. */
export const auditSummary = (item: Item) => ({ at: item.at, sessionsDeleted: item.sessionsDeleted, itemsDeleted: item.itemsDeleted, itemsRedacted: item.itemsRedacted });

/** An erasure the erased user made as an admin: the record keeps the erasure, not their name, and leaves their mentions. */
export const auditorRedaction = (userId: string, pseudonym: string) => ({
  UpdateExpression: expr(`SET erasedBy = :p REMOVE ${byUser.pk}, ${byUser.sk}`, { ':p': pseudonym }),
  ConditionExpression: expr('erasedBy = :u', { ':u': userId }),
});

export const auditPk = (tenantId: string) => `T#${encodeId(tenantId)}#AUDIT`;

export const erasureAuditKey = (tenantId: string, at: number, id: string): Key => ({ pk: auditPk(tenantId), sk: `ERASURE#${isoTime(at)}#${id}` });

/** The sort key of an erasure audit in its actor's mentionGsiPk partition (an admin who erased someone). */
export const auditGsiSk = (at: number, id: string) => `A#${isoTime(at)}#${id}`;
