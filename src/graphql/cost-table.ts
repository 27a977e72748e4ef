import { DEFAULT_MAX_TOPICS_PER_TENANT } from '../defaults';
import { maxMessageBytes, maxTextBytes, PAGE_BYTE_BUDGET } from '../domain/page-budget';
import { MAX_SCHEMA_JSON_CHARS } from '../domain/result-schema';


/** A store call costs like this many returned fields (one GetItem, Query, or transaction). */
export const STORE_CALL_COST = 25;
/** A coach call (possibly billed by a model provider) costs like this many returned fields. */
export const COACH_CALL_COST = 250;
/** Bytes read or returned cost one unit per this many: the default budget (3000) then holds at most 750 KiB. */
export const BYTES_PER_COST_UNIT = 256;
/** A topic's texts at most (src/topics/catalog.ts, src/domain/result-schema.ts). */
const TOPIC_TEXT_CHARS = { name: 200, description: 2000, instructions: 20_000, openingMessage: 4000, resultSchema: MAX_SCHEMA_JSON_CHARS };

/** What the cost model needs to know of the service's bounds. */
export interface CostBounds {
  maxPageSize: number;
  defaultPageSize: number;
  /** MAX_MESSAGE_CHARS; default 4000. */
  maxMessageChars?: number;
  /** The most topics a tenant's catalogue holds (MAX_TOPICS_PER_TENANT, or TOPICS_FILE's count if more). */
  maxTopics?: number;
  /** The longest of each topic text in the tenant's catalogue, in bytes; absent: the largest allowed. */
  topicBytes?: Partial<Record<TopicText, number>>;
}

export type TopicText = 'name' | 'description' | 'instructions' | 'openingMessage' | 'resultSchema';

export const bytesCost = (bytes: number) => Math.ceil(bytes / BYTES_PER_COST_UNIT);
export const messageCharsOf = (b: CostBounds) => b.maxMessageChars ?? 4000;
export const topicsOf = (b: CostBounds) => b.maxTopics ?? DEFAULT_MAX_TOPICS_PER_TENANT;

/** The bytes a byte-budgeted page of `items` messages may read: the budget, or fewer when the page is short. */
export const messagePageBytes = (items: number, b: CostBounds) => Math.min(PAGE_BYTE_BUDGET, (items + 1) * maxMessageBytes(messageCharsOf(b)));

export interface FieldCost {
  /** Store calls per execution of the field. */
  store?: number;
  /** Store calls made once per request whatever the number of executions (a per-request DataLoader). */
  batched?: boolean;
  /** Calls the coach (a reply, an opening, a welcome back or a result extraction). */
  coach?: boolean;
  /** Erases a user's data: at most one per request. */
  erasure?: boolean;
  /** Store calls depend on the arguments and the page size (tenantSessions queries every topic when none is given). */
  storeOf?: (arg: (name: string) => unknown, page: number, b: CostBounds) => number;
  /** A byte-budgeted page: reads at most this many bytes per execution (its contents are priced by it). */
  pageBytes?: (page: number, b: CostBounds) => number;
  /** The selection below is executed this many times per execution (a subscription's payload, once per event carrying it). */
  executions?: number;
}

/** Store calls of one topic's partition in tenantSessions: a Query of the keys-only index and a BatchGetItem per 100 entries. */
const perTopicCalls = (page: number) => 1 + Math.ceil((page + 1) / 100);

/** Fields that reach the store or the coach (every one that may call a model); others cost 1. */
export const FIELD_COSTS = new Map<string, FieldCost>([
  ['Query.sessionCheck', { store: 1 }],
  ['Query.session', { store: 1 }],
  ['Query.mySessions', { store: 1 }],
  ['Query.idleSessions', { store: 1 }],
  // Across topics: one index Query per topic, then BatchGetItems of about one page (admin-queries.ts).
  ['Query.tenantSessions', { storeOf: (arg, page, b) => (typeof arg('topicId') === 'string' ? perTopicCalls(page) : topicsOf(b) + perTopicCalls(page)) }],
  ['Query.messageReply', { store: 3 }],
  ['Query.topics', { store: 1, batched: true }],
  ['CoachingSession.messages', { store: 1, pageBytes: messagePageBytes }],
  ['CoachingSession.topic', { store: 1, batched: true }],
  // myStatus and myResult share one loader: a query of the caller's sessions and one of their outcomes.
  ['Topic.myStatus', { store: 1, batched: true }],
  ['Topic.myResult', { store: 1, batched: true }],
  ['Query.myResults', { store: 1 }],
  // A page reads at most 20 times (EXPORT_CALLS_PER_PAGE, src/store/user-export.ts), plus the check of a resumed cursor, and at most the byte budget.
  ['Query.exportMyData', { store: 21, pageBytes: () => PAGE_BYTE_BUDGET }],
  ['Query.sessionTransfers', { store: 2 }],
  ['Query.myTransfers', { store: 1 }],
  ['Mutation.setAllowTransferWithContent', { store: 2 }],
  ['Mutation.startSession', { store: 3, coach: true }],
  ['Mutation.sendMessage', { store: 3, coach: true }],
  ['Mutation.rateReply', { store: 3 }],
  // The session, its record, the messages, the claim, the replacement (a retry waiting for another process reads more, paced).
  ['Mutation.regenerateReply', { store: 5, coach: true }],
  ['Mutation.postMessage', { store: 3, coach: true }],
  ['Mutation.resumeSession', { store: 2, coach: true }],
  ['Mutation.completeSession', { store: 3, coach: true }],
  ['Mutation.pauseSession', { store: 2 }],
  ['Mutation.cancelSession', { store: 2 }],
  // The session, whether the tenant knows the user (up to 3 queries), the transaction.
  ['Mutation.transferSession', { store: 5 }],
  ['Mutation.eraseMyData', { store: 20, erasure: true }],
  ['Mutation.eraseUserData', { store: 20, erasure: true }],
  ['Mutation.createTopic', { store: 2 }],
  ['Mutation.updateTopic', { store: 2 }],
  ['Mutation.archiveTopic', { store: 2 }],
  ['Mutation.unarchiveTopic', { store: 2 }],
  // The payload is resolved on two events (`message` and `reply` carry `session`), the deltas carry nothing else.
  ['Subscription.sendMessageStream', { store: 3, coach: true, executions: 2 }],
  // The payload is resolved once (the `reply` event carries `session`).
  ['Subscription.regenerateReplyStream', { store: 5, coach: true }],
]);

/** Fields that can be long, by the most bytes one execution returns (docs/security.md#the-cost-of-an-operation). */
export const FIELD_BYTES = new Map<string, (b: CostBounds) => number>([
  ['Message.content', (b) => maxTextBytes(messageCharsOf(b))],
  // The pieces of one reply add up to at most a message.
  ['SendMessageStreamEvent.delta', (b) => maxTextBytes(messageCharsOf(b))],
  ['Topic.name', (b) => b.topicBytes?.name ?? maxTextBytes(TOPIC_TEXT_CHARS.name)],
  ['Topic.description', (b) => b.topicBytes?.description ?? maxTextBytes(TOPIC_TEXT_CHARS.description)],
  ['Topic.instructions', (b) => b.topicBytes?.instructions ?? maxTextBytes(TOPIC_TEXT_CHARS.instructions)],
  ['Topic.openingMessage', (b) => b.topicBytes?.openingMessage ?? maxTextBytes(TOPIC_TEXT_CHARS.openingMessage)],
  ['Topic.resultSchema', (b) => b.topicBytes?.resultSchema ?? maxTextBytes(TOPIC_TEXT_CHARS.resultSchema)],
  ['DataExportPage.records', () => PAGE_BYTE_BUDGET],
]);

/** The fields whose bytes a byte-budgeted page's price already covers (once per page). */
export const PAGE_CONTENT = new Set(['Message.content', 'DataExportPage.records']);
