import { badInput } from '../domain/errors';
import { isClientMessageId, isTopicId } from '../domain/ids';
import { Topic } from '../domain/topic';
import { isCleanText } from '../domain/text';
import { TopicCatalog } from '../topics/catalog';
import type { SessionLimits } from '../defaults';

// Checks of what the caller passed: each refusal is BAD_USER_INPUT naming the argument, before anything is written.

/** A topic of the catalogue by id (archived ones included: start refuses those itself). */
export function knownTopic(catalog: TopicCatalog, topicId: string): Topic {
  const topic = isTopicId(topicId) ? catalog.get(topicId) : undefined;
  if (!topic) throw badInput(`Unknown topic "${topicId.slice(0, 64)}"`, { argumentName: 'topicId' });
  return topic;
}

/** A page size argument (`first` / `last`): `fallback` when absent, else 1 to maxPageSize. */
export function pageSize(limits: Pick<SessionLimits, 'maxPageSize' | 'defaultPageSize'>, value: number | null, name: string, fallback = limits.defaultPageSize): number {
  if (value === null) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > limits.maxPageSize) {
    throw badInput(`"${name}" must be between 1 and ${limits.maxPageSize}`, { argumentName: name });
  }
  return value;
}

/** A user message's content and optional clientMessageId (sendMessage / postMessage). */
export function validateMessage(limits: Pick<SessionLimits, 'maxMessageChars'>, content: string, clientMessageId: string | null): void {
  if (!content.trim()) throw badInput('The message is empty', { argumentName: 'content' });
  if (content.length > limits.maxMessageChars) {
    throw badInput(`The message is longer than ${limits.maxMessageChars} characters`, { argumentName: 'content' });
  }
  // Unpaired surrogates and control characters other than tab/newline are refused, not stored.
  if (!isCleanText(content, { multiline: true })) {
    throw badInput('The message contains control characters or invalid Unicode', { argumentName: 'content' });
  }
  if (clientMessageId !== null && !isClientMessageId(clientMessageId)) {
    throw badInput('clientMessageId must be 1-64 characters of letters, digits, ".", "_", ":" or "-"', {
      argumentName: 'clientMessageId',
    });
  }
}
