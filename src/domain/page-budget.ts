/** The bytes one page may read; the page stops early with hasNextPage true (docs/security.md). */
export const PAGE_BYTE_BUDGET = 480 * 1024;

/** What a stored message item's attributes besides its content may take (keys, ids, times), at most. */
export const MESSAGE_ITEM_OVERHEAD_BYTES = 2048;

/** 3 bytes per UTF-16 unit is the most UTF-8 or JSON needs for clean text, plus the item's other attributes. */
export const maxMessageBytes = (maxMessageChars: number) => 3 * maxMessageChars + MESSAGE_ITEM_OVERHEAD_BYTES;

/** The most a text field of at most `chars` UTF-16 units takes in a response (see maxMessageBytes). */
export const maxTextBytes = (chars: number) => 3 * chars + 2;

/** MAX_TOPICS_PER_TENANT's default: createTopic refuses more, and the cost model prices `topics` by it. */

