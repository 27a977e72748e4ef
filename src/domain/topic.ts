import { SessionSettings } from './session';
import { ResultObjectSchema } from './result-schema';

export interface Topic {
  id: string;
  name: string;
  description: string | null;
  /** What the coach is asked to do in this topic (its system prompt). */
  instructions: string;
  /** The coach's first message of every new session. */
  openingMessage: string;
  settings: SessionSettings;
  /** What completeSession extracts from the conversation; absent: no extraction. */
  resultSchema?: ResultObjectSchema | null;
  /** Archived by a tenant admin: no new sessions; live ones continue with these settings. */
  archived?: boolean;
}

/** The caller's progress in a topic (the spec's `TopicStatus`). */
export type TopicStatus = 'NOT_STARTED' | 'IN_PROGRESS' | 'PAUSED' | 'COMPLETED';
