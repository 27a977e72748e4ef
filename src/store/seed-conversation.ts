import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { messageItem } from './items/message';
import { childTtlOfItem, conversationGrownTo, sessionKey, toSession } from './items/session';
import { params } from './schema';
import { TableIO } from './table-io';

/** Seeds a long conversation in the store's layout, without the coach (bench and request-count tests). */
export async function growConversation(
  doc: DynamoDBDocumentClient,
  table: string,
  at: { tenantId: string; sessionId: string },
  total: number,
  content: (seq: number) => string,
): Promise<void> {
  const io = new TableIO(doc, table, { guard: false });
  const { tenantId, sessionId } = at;
  const item = (await io.get(sessionKey(tenantId, sessionId)))!;
  const now = Date.now();
  const puts = [];
  for (let seq = toSession(item).messageCount + 1; seq <= total; seq++) {
    const role = seq % 2 === 0 ? 'USER' : 'ASSISTANT';
    puts.push({ put: messageItem(tenantId, { sessionId, seq, role, content: content(seq), createdAt: now }, Number(childTtlOfItem(item))) });
  }
  await io.batchWrite(puts);
  await io.update({ Key: sessionKey(tenantId, sessionId), ...params({ UpdateExpression: conversationGrownTo(total) }) });
}
