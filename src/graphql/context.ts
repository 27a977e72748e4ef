import DataLoader from 'dataloader';
import { Viewer } from '../domain/viewer';
import { TopicStatus } from '../domain/topic';
import { SessionService, SessionView } from '../sessions/session-service';
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
  let statuses: Promise<Map<string, TopicStatus>> | null = null;
  return {
    session: new DataLoader((ids) => services.sessions.getMany(me(), ids), { maxBatchSize: 100 }),
    // All topics' statuses come from one query of the caller's sessions, made once per request
    // however many batches ask (the topics list for archived topics, then myStatus).
    topicStatus: new DataLoader(async (topicIds) => {
      statuses ??= services.sessions.topicStatuses(me()).catch((e: unknown) => {
        statuses = null;
        throw e;
      });
      const byTopic = await statuses;
      return topicIds.map((id) => byTopic.get(id) ?? 'NOT_STARTED');
    }),
    sessionCheck: new DataLoader((topicIds) => Promise.all(topicIds.map((id) => services.sessions.check(me(), id).catch((e: Error) => e)))),
  };
}
