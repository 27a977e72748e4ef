import { DEFAULT_SETTINGS, idleSince, Session } from '../domain/session';
import { Topic } from '../domain/topic';
import { TopicCatalog } from '../topics/catalog';

/** A session as the API shows it: stored fields plus what is derived at read time. */
export interface SessionView extends Session {
  isIdle: boolean;
  idleSince: number | null;
  /** User messages so far. */
  turnCount: number;
  /** The topic's limit on user messages; null: unlimited. */
  maxTurns: number | null;
}

/** How a session is shown, with its topic's current settings (so a changed setting shows at once). */
export function sessionView(session: Session, now: number, catalog: TopicCatalog): SessionView {
  const settings = topicOf(catalog, session).settings;
  const since = idleSince(session, settings, now);
  return { ...session, isIdle: since !== null, idleSince: since, turnCount: session.turnCount ?? 0, maxTurns: settings.maxTurns ?? null };
}

/** A stored session's topic; one removed from the catalogue since keeps the default settings. */
export function topicOf(catalog: TopicCatalog, session: Session): Topic {
  return (
    catalog.get(session.topicId) ?? {
      id: session.topicId,
      name: session.topicId,
      description: null,
      instructions: '',
      openingMessage: '',
      settings: DEFAULT_SETTINGS,
    }
  );
}
