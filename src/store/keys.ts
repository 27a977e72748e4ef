/**
 * What every key shares; each item type builds its own keys in src/store/items/ (the layout:
 * docs/data-model.md). Ids from tokens are URI-encoded so a "#" in one cannot forge a key.
 */

export interface Key {
  pk: string;
  sk: string;
}

/** The key of an item read from the table. */
export const keyOf = (item: Record<string, unknown>): Key => ({ pk: String(item.pk), sk: String(item.sk) });

/** An id from a token or an argument, as a key part. */
export const encodeId = encodeURIComponent;

/** A seq as a key part: 8 digits, so that keys sort by seq. */
export const seqPart = (seq: number) => String(seq).padStart(8, '0');
export const MAX_SEQ = 10 ** 8 - 1;
