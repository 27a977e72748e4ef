import DataLoader from 'dataloader';
import { Viewer } from '../domain/viewer';
import { TopicStatus } from '../domain/topic';
import { SessionService, SessionView, TopicProgress } from '../sessions/session-service';
import type { SessionCheck as SessionCheckResult } from '../sessions/session-service';
import { TopicSource } from '../topics/catalog';
import { AdminService } from '../sessions/admin-service';
import { TopicAdminService } from '../topics/topic-admin-service';
import type { RequestStats } from '../store/request-stats';

export interface Services {
  sessions: SessionService;
  /** Each tenant's catalogue (TenantTopics: cached, one Query per tenant per cache lifetime). */
  topics: TopicSource;
  admin: AdminService;
  topicAdmin: TopicAdminService;
}

export interface Context {
  viewer: Viewer | null;
  services: Services;
  loaders: Loaders;
  requestId: string;
  /** DynamoDB requests and capacity this request has used so far. */
  dynamoStats: RequestStats;
}

export interface Loaders {
  session: DataLoader<string, SessionView | null>;
  topicStatus: DataLoader<string, TopicStatus>;
  /** sessionCheck by topic: aliases of one topic in one request make one read. */
  sessionCheck: DataLoader<string, SessionCheckResult>;
  /** Status and outcome per topic (myStatus, myResult): the same two queries for every topic of a request. */
  topicProgress: DataLoader<string, TopicProgress>;
}

/**
 * Made per request, so nothing cached outlives it or crosses users. Loaders without a
 * viewer are never reached: every field is behind @Authorized.
 */
export function createLoaders(services: Services, viewer: Viewer | null): Loaders {
  const me = () => {
    if (!viewer) throw new Error('loader used without a viewer');
    return viewer;
  };
  const notStarted: TopicProgress = { status: 'NOT_STARTED', result: null };
  // All topics' progress comes from one query of the caller's sessions and one of their outcomes,
  // made once per request however many batches ask (the topics list for archived topics, then myStatus).
  let progress: Promise<Map<string, TopicProgress>> | null = null;
  const topicProgress = new DataLoader<string, TopicProgress>(async (topicIds) => {
    progress ??= services.sessions.topicProgress(me()).catch((e: unknown) => {
      progress = null;
      throw e;
    });
    const byTopic = await progress;
    return topicIds.map((id) => byTopic.get(id) ?? notStarted);
  });
  return {
    session: new DataLoader((ids) => services.sessions.getMany(me(), ids), { maxBatchSize: 100 }),
    topicStatus: new DataLoader(async (topicIds) => (await topicProgress.loadMany(topicIds)).map((p) => (p instanceof Error ? p : p.status))),
    topicProgress,
    sessionCheck: new DataLoader((topicIds) => Promise.all(topicIds.map((id) => services.sessions.check(me(), id).catch((e: Error) => e)))),
  };
}
