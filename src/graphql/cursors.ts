import { badInput } from '../domain/errors';
import { isTopicId } from '../domain/ids';

/** Cursors of lists that page by a key of their own: base64url of "<kind>:<key>". */
const cursorOf = (kind: string, key: string | number) => Buffer.from(`${kind}:${key}`).toString('base64url');

function keyOf(cursor: string | null | undefined, kind: string, valid: (key: string) => boolean, argumentName: string): string | null {
  if (cursor === null || cursor === undefined) return null;
  const text = cursor.length <= 128 ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const key = text.startsWith(`${kind}:`) ? text.slice(kind.length + 1) : '';
  if (!valid(key)) throw badInput('Invalid cursor', { argumentName });
  return key;
}

const isSeq = (key: string) => /^\d{1,8}$/.test(key);

/** A message's cursor: its place in the conversation. */
export const messageCursor = (seq: number) => cursorOf('msg', seq);

export function parseMessageCursor(cursor: string | null | undefined, argumentName: string): number | null {
  const key = keyOf(cursor, 'msg', isSeq, argumentName);
  return key === null ? null : Number(key);
}

/** A transfer history entry's cursor: its place in the history. */
export const transferCursor = (seq: number) => cursorOf('xfer', seq);

export function parseTransferCursor(cursor: string | null | undefined): number | null {
  const key = keyOf(cursor, 'xfer', isSeq, 'after');
  return key === null ? null : Number(key);
}

/** An outcome's cursor (myResults): its topic. */
export const outcomeCursor = (topicId: string) => cursorOf('out', topicId);

export const parseOutcomeCursor = (cursor: string | null | undefined): string | null => keyOf(cursor, 'out', isTopicId, 'after');

/** A myTransfers entry's cursor: its place in the caller's list (time, session, seq). */
export const userTransferCursor = (t: { at: number; sessionId: string; seq: number }) => cursorOf('myx', `${t.at}:${t.sessionId}:${t.seq}`);

const USER_TRANSFER_KEY = /^(\d{1,15}):(ses_[0-9A-Z]{26}):(\d{1,8})$/;

export function parseUserTransferCursor(cursor: string | null | undefined): { at: number; sessionId: string; seq: number } | null {
  const key = keyOf(cursor, 'myx', (k) => USER_TRANSFER_KEY.test(k), 'after');
  if (key === null) return null;
  const [, at, sessionId, seq] = USER_TRANSFER_KEY.exec(key)!;
  return { at: Number(at), sessionId, seq: Number(seq) };
}
