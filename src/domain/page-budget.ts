/**
 * How much one page may read: a page of messages (or of an export) stops early once the bytes
 * it read would pass PAGE_BYTE_BUDGET, with hasNextPage (hasPreviousPage backward) true, so a
 * request's reads and response stay bounded whatever the page size (docs/security.md). The
 * cost model (src/graphql/cost.ts) prices each such page at this budget.
 */
export const PAGE_BYTE_BUDGET = 480 * 1024;

/** What a stored message item's attributes besides its content may take (keys, ids, times), at most. */
export const MESSAGE_ITEM_OVERHEAD_BYTES = 2048;

/**
 * The most one message can take, read or sent: 3 bytes per UTF-16 unit is the most UTF-8 or
 * JSON needs for text the service accepts (no control characters but tab and newlines, no lone
 * surrogates: a pair is 4 bytes for 2 units, an escaped quote 2), plus the item's other attributes.
 */
export const maxMessageBytes = (maxMessageChars: number) => 3 * maxMessageChars + MESSAGE_ITEM_OVERHEAD_BYTES;

/** The most a text field of at most `chars` UTF-16 units takes in a response (see maxMessageBytes). */
export const maxTextBytes = (chars: number) => 3 * chars + 2;

/** MAX_TOPICS_PER_TENANT's default: createTopic refuses more, and the cost model prices `topics` by it. */

