import { Clock } from '../domain/clock';
import { badInput, notFound } from '../domain/errors';
import { isTopicId } from '../domain/ids';
import { Topic } from '../domain/topic';
import { Viewer } from '../domain/viewer';
import { DEFAULT_MAX_TOPICS_PER_TENANT } from '../defaults';
import { parseTopic } from './catalog';
import { TenantTopics } from './tenant-topics';
import { StoredTopic, TopicRepository, TopicVersionConflictError } from './topic-repository';

/** Absent: unchanged on update, the default on create; null clears an optional field or restores a default. */
export interface TopicFields {
  name?: string | null;
  description?: string | null;
  instructions?: string | null;
  openingMessage?: string | null;
  inactivityTimeoutMinutes?: number | null;
  activeTtlSeconds?: number | null;
  terminalTtlSeconds?: number | null;
  maxTurns?: number | null;
  remembersOutcomes?: boolean | null;
  resultSchema?: Record<string, unknown> | null;
}

const MAX_ATTEMPTS = 5;

/** Topic administration (docs/administration.md): the caller's tenant only, versioned, invalidating the cache. */
export class TopicAdminService {
  constructor(
    private readonly tenantTopics: TenantTopics,
    private readonly repo: TopicRepository,
    private readonly clock: Clock,
    /** The most topics a tenant's catalogue may hold, archived ones and TOPICS_FILE's included (createTopic refuses more). */
    private readonly maxTopics: number = DEFAULT_MAX_TOPICS_PER_TENANT,
  ) {}

  /** The most topics any tenant's catalogue may hold: the cap, or the defaults if they are more. */
  get catalogueBound(): number {
    return Math.max(this.maxTopics, this.tenantTopics.defaults.all.length);
  }

  /** Archived topics too for an admin; else the offered ones and archived ones the caller is still live in. */
  async list(
    viewer: Viewer,
    includeArchived: boolean,
    liveOf?: (topicIds: readonly string[]) => Promise<ReadonlySet<string>>,
  ): Promise<readonly Topic[]> {
    if (includeArchived) return (await this.tenantTopics.catalogFor(viewer.tenantId)).all;
    const catalog = await this.tenantTopics.catalogOrLastKnown(viewer.tenantId);
    const archived = catalog.all.filter((t) => t.archived).map((t) => t.id);
    if (!archived.length || !liveOf) return catalog.topics;
    const live = await liveOf(archived);
    return catalog.all.filter((t) => !t.archived || live.has(t.id));
  }

  async create(viewer: Viewer, input: TopicFields & { id: string }): Promise<Topic> {
    const { id, ...fields } = input;
    if (!isTopicId(id)) throw badInput('"id" must be lowercase letters, digits, "_" or "-" (at most 64)', { argumentName: 'id' });
    return this.write(viewer, id, (current, count) => {
      if (current) throw badInput(`Topic "${id}" exists already (use updateTopic)`, { argumentName: 'id' });
      if (count >= this.maxTopics) {
        throw badInput(`The tenant has ${count} topics, the most it may have (MAX_TOPICS_PER_TENANT: ${this.maxTopics}); archived ones count too`, {
          argumentName: 'id',
        });
      }
      return { topic: validate(id, {}, fields), archived: false };
    });
  }

  async update(viewer: Viewer, id: string, fields: TopicFields): Promise<Topic> {
    return this.write(viewer, this.knownId(id), (current) => {
      if (!current) throw notFound('Topic');
      return { topic: validate(id, current.topic, fields), archived: current.archived };
    });
  }

  async archive(viewer: Viewer, id: string, archived: boolean): Promise<Topic> {
    return this.write(viewer, this.knownId(id), (current) => {
      if (!current) throw notFound('Topic');
      return { topic: current.topic, archived };
    });
  }

  private knownId(id: string): string {
    if (!isTopicId(id)) throw badInput('Malformed topic id', { argumentName: 'id' });
    return id;
  }

  /** Read, decide, write on the version read; on a conflict read again, uncached. */
  private async write(
    viewer: Viewer,
    id: string,
    decide: (current: { topic: Topic; archived: boolean; version: number | null } | null, count: number) => { topic: Topic; archived: boolean },
  ): Promise<Topic> {
    const tenantId = viewer.tenantId;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const all = await this.tenantTopics.storedFor(tenantId);
      const stored = all.get(id);
      const fallback = this.tenantTopics.defaults.get(id);
      const current = stored
        ? { topic: stored.topic, archived: stored.archived, version: stored.version }
        : fallback
          ? { topic: fallback, archived: false, version: null }
          : null;
      // The catalogue's size: the defaults and the tenant's own topics, each id once.
      const count = new Set([...this.tenantTopics.defaults.all.map((t) => t.id), ...all.keys()]).size;
      const next = decide(current, count);
      const { archived: _ignored, ...topic } = next.topic;
      const item: StoredTopic = {
        tenantId,
        topic,
        archived: next.archived,
        version: (current?.version ?? 0) + 1,
        updatedAt: this.clock.now(),
        updatedBy: viewer.userId,
      };
      try {
        await this.repo.putTenantTopic(item, current?.version ?? null);
        return { ...topic, archived: next.archived };
      } catch (e) {
        if (!(e instanceof TopicVersionConflictError)) throw e;
        // Written meanwhile (another admin, or another process): decide again on what is stored now.
      } finally {
        this.tenantTopics.invalidate(tenantId);
      }
    }
    throw new Error(`topic ${id} of ${tenantId} did not settle after ${MAX_ATTEMPTS} attempts`);
  }
}

/** The topic `base` with `fields` applied, validated exactly like a TOPICS_FILE entry. */
function validate(id: string, base: Partial<Topic>, fields: TopicFields): Topic {
  const pick = <K extends keyof TopicFields>(key: K, fallback: unknown) => (fields[key] === undefined ? fallback : fields[key]);
  const settings = base.settings;
  const maxTurns = pick('maxTurns', settings?.maxTurns ?? null);
  const entry = {
    id,
    name: pick('name', base.name),
    description: pick('description', base.description ?? null),
    instructions: pick('instructions', base.instructions),
    openingMessage: pick('openingMessage', base.openingMessage),
    settings: dropUndefined({
      inactivityTimeoutMinutes: orUndefined(pick('inactivityTimeoutMinutes', settings?.inactivityTimeoutMinutes)),
      activeTtlSeconds: orUndefined(pick('activeTtlSeconds', settings?.activeTtlSeconds)),
      terminalTtlSeconds: orUndefined(pick('terminalTtlSeconds', settings?.terminalTtlSeconds)),
      maxTurns,
      remembersOutcomes: orUndefined(pick('remembersOutcomes', settings?.remembersOutcomes)),
    }),
    resultSchema: pick('resultSchema', base.resultSchema ?? null),
  };
  return parseTopic(entry, (problem, field) => badInput(`Invalid topic: ${problem}`, { argumentName: field ?? 'input' }));
}

/** A null setting means "the default" (TOPICS_FILE's absent). */
const orUndefined = (v: unknown) => (v === null ? undefined : v);
const dropUndefined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
