import { DEFAULT_TOPIC_CACHE_MS } from '../defaults';
import { DomainError } from '../domain/errors';
import { Topic } from '../domain/topic';
import { TopicCatalog, TopicSource } from './catalog';
import { StoredTopic, TopicRepository } from './topic-repository';

export interface TenantTopicsOptions {
  /** How long a tenant's catalogue is reused before it is read again (default 30 s). */
  cacheMs?: number;
  /** Most tenants cached at once; the least recently loaded is dropped first (default 10000). */
  maxTenants?: number;
  /** Monotonic milliseconds for the cache (default performance.now; never the domain clock, which tests move). */
  now?: () => number;
}

interface Loaded {
  catalog: TopicCatalog;
  stored: Map<string, StoredTopic>;
}

interface Entry {
  at: number;
  loading: Promise<Loaded>;
  loaded?: Loaded;
}


/**
 * Defaults merged with the tenant's own topics, cached per tenant (30 s): one Query per cache
 * lifetime. Own writes invalidate at once; other processes see them within the lifetime.
 */
export class TenantTopics implements TopicSource {
  private readonly cache = new Map<string, Entry>();
  /** The last catalogue loaded per tenant, kept across reloads (peek, and the listing while the store is down). */
  private readonly last = new Map<string, TopicCatalog>();
  private readonly cacheMs: number;
  private readonly maxTenants: number;
  private readonly now: () => number;

  constructor(
    readonly defaults: TopicCatalog,
    private readonly repo: TopicRepository,
    opts: TenantTopicsOptions = {},
  ) {
    this.cacheMs = opts.cacheMs ?? DEFAULT_TOPIC_CACHE_MS;
    this.maxTenants = opts.maxTenants ?? 10_000;
    this.now = opts.now ?? (() => performance.now());
  }

  async catalogFor(tenantId: string): Promise<TopicCatalog> {
    return (await this.load(tenantId)).catalog;
  }

  peek(tenantId: string): TopicCatalog {
    return this.last.get(tenantId) ?? this.defaults;
  }

  /** While the store is unreachable, the last catalogue loaded (or the defaults), so `topics` still works. */
  async catalogOrLastKnown(tenantId: string): Promise<TopicCatalog> {
    try {
      return await this.catalogFor(tenantId);
    } catch (e) {
      if (e instanceof DomainError && e.code === 'SERVICE_UNAVAILABLE') return this.peek(tenantId);
      throw e;
    }
  }

  /** The tenant's own items by topic id (for administration: versions, archive marks). */
  async storedFor(tenantId: string): Promise<Map<string, StoredTopic>> {
    return (await this.load(tenantId)).stored;
  }

  /** Forget a tenant's catalogue (after this process wrote one of its topics). */
  invalidate(tenantId: string): void {
    this.cache.delete(tenantId);
  }

  private load(tenantId: string): Promise<Loaded> {
    const now = this.now();
    const cached = this.cache.get(tenantId);
    if (cached && now - cached.at < this.cacheMs) return cached.loading;
    const entry: Entry = { at: now, loading: Promise.resolve(undefined as never) };
    entry.loading = this.repo.listTenantTopics(tenantId).then(
      (items) => {
        const loaded = merge(this.defaults, items);
        entry.loaded = loaded;
        this.last.delete(tenantId);
        this.last.set(tenantId, loaded.catalog);
        if (this.last.size > this.maxTenants) this.last.delete(this.last.keys().next().value!);
        return loaded;
      },
      (e) => {
        // A failed read is not cached: the next operation tries again.
        if (this.cache.get(tenantId) === entry) this.cache.delete(tenantId);
        throw e;
      },
    );
    this.cache.delete(tenantId);
    this.cache.set(tenantId, entry);
    if (this.cache.size > this.maxTenants) this.cache.delete(this.cache.keys().next().value!);
    return entry.loading;
  }
}

/** Defaults in their order with the tenant's items replacing them by id, then the tenant's new topics. */
export function merge(defaults: TopicCatalog, items: readonly StoredTopic[]): Loaded {
  const topics: Topic[] = [...defaults.all];
  const stored = new Map<string, StoredTopic>();
  for (const item of [...items].sort((a, b) => a.topic.id.localeCompare(b.topic.id))) {
    stored.set(item.topic.id, item);
    const topic: Topic = { ...item.topic, archived: item.archived };
    const i = topics.findIndex((t) => t.id === topic.id);
    if (i >= 0) topics[i] = topic;
    else topics.push(topic);
  }
  return { catalog: new TopicCatalog(topics), stored };
}
