import DataLoader from 'dataloader';
import { Viewer } from '../domain/viewer';
import { TopicStatus } from '../domain/topic';
import type { SessionCapabilities } from '../compose';
import type { SessionCheck as SessionCheckResult, TopicProgress } from '../sessions/queries';
import type { SessionView } from '../sessions/session-view';
import { TopicSource } from '../topics/catalog';
import { TopicAdminService } from '../topics/topic-admin-service';
import type { TenantUsage } from '../usage/tenant-usage';
import type { RequestStats } from '../store/request-stats';

/** Each capability's use cases, as the resolvers call them. */
export interface Services extends Omit<SessionCapabilities, 'background'> {
  /** Each tenant's catalogue (TenantTopics: cached, one Query per tenant per cache lifetime). */
  topics: TopicSource;
  topicAdmin: TopicAdminService;
  tenantUsage: TenantUsage;
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
  sessionCheck: Memo<SessionCheckResult>;
  /** Status and outcome per topic (myStatus, myResult): the same two queries for every topic of a request. */
  topicProgress: DataLoader<string, TopicProgress>;
}

/** Each key's answer, asked once per request: what a DataLoader gives for reads that are never batched, without its scheduling. */
export interface Memo<V> {
  load(key: string): Promise<V>;
}

const memo = <V>(fetch: (key: string) => Promise<V>): Memo<V> => {
  const asked = new Map<string, Promise<V>>();
  return {
    load: (key) => {
      let answer = asked.get(key);
      if (!answer) asked.set(key, (answer = fetch(key)));
      return answer;
    },
  };
};

/** Per request, so nothing cached crosses users; each loader is built on first use. */
export function createLoaders(services: Services, viewer: Viewer | null): Loaders {
  return new RequestLoaders(services, viewer);
}

const NOT_STARTED: TopicProgress = { status: 'NOT_STARTED', result: null };

class RequestLoaders implements Loaders {
  private loaded: Partial<Loaders> = {};
  // One query of sessions and one of outcomes per request, however many batches ask.
  private progress: Promise<Map<string, TopicProgress>> | null = null;

  constructor(
    private readonly services: Services,
    private readonly viewer: Viewer | null,
  ) {}

  private me(): Viewer {
    if (!this.viewer) throw new Error('loader used without a viewer');
    return this.viewer;
  }

  get session() {
    return (this.loaded.session ??= new DataLoader((ids) => this.services.sessions.getMany(this.me(), ids), { maxBatchSize: 100 }));
  }

  get topicProgress() {
    return (this.loaded.topicProgress ??= new DataLoader<string, TopicProgress>(async (topicIds) => {
      this.progress ??= this.services.sessions.topicProgress(this.me()).catch((e: unknown) => {
        this.progress = null;
        throw e;
      });
      const byTopic = await this.progress;
      return topicIds.map((id) => byTopic.get(id) ?? NOT_STARTED);
    }));
  }

  get topicStatus() {
    return (this.loaded.topicStatus ??= new DataLoader(async (topicIds) =>
      (await this.topicProgress.loadMany(topicIds)).map((p) => (p instanceof Error ? p : p.status)),
    ));
  }

  get sessionCheck() {
    return (this.loaded.sessionCheck ??= memo((topicId) => this.services.sessions.check(this.me(), topicId)));
  }
}
