import { badInput } from '../domain/errors';

/** Opaque message cursors: base64url of "msg:<seq>". */
export const messageCursor = (seq: number) => Buffer.from(`msg:${seq}`).toString('base64url');

export function parseMessageCursor(cursor: string | null | undefined, argumentName: string): number | null {
  if (cursor === null || cursor === undefined) return null;
  const match = /^msg:(\d{1,8})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || cursor.length > 32) throw badInput('Invalid cursor', { argumentName });
  return Number(match[1]);
}
