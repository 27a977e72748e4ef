import { Clock } from '../domain/clock';
import { assertUserId } from '../domain/ids';
import { ErasureCounts, ExportPage } from '../domain/user-data';
import { Viewer } from '../domain/viewer';
import { EXPORT_PAGE } from '../defaults';
import { TopicSource } from '../topics/catalog';
import { AdminRepository } from '../sessions/admin-repository';
import { pageSize } from '../sessions/input-checks';

/** A user's data rights (docs/administration.md): erasure (their own, or by an admin) and access (export). */
export class UserData {
  constructor(private readonly deps: { repo: AdminRepository; topics: TopicSource; clock: Clock }) {}

  /** Right to erasure, for the caller: everything of theirs, now. */
  async eraseMyData(viewer: Viewer): Promise<ErasureCounts> {
    return this.erase(viewer.tenantId, viewer.userId, viewer.userId);
  }

  /** Right to erasure, by a tenant admin, for a user of the same tenant. */
  async eraseUserData(viewer: Viewer, userId: string): Promise<ErasureCounts> {
    assertUserId(userId, 'userId');
    return this.erase(viewer.tenantId, userId, viewer.userId);
  }

  /** Right of access: one page of everything stored about the caller (`after`: the previous page's cursor). */
  async exportMyData(viewer: Viewer, first: number | null, after: string | null): Promise<ExportPage> {
    const limit = pageSize({ maxPageSize: EXPORT_PAGE.max, defaultPageSize: EXPORT_PAGE.default }, first, 'first');
    return this.deps.repo.exportUserData(viewer.tenantId, viewer.userId, { limit, cursor: after }, this.deps.clock.now());
  }

  private async erase(tenantId: string, userId: string, actorId: string): Promise<ErasureCounts> {
    // Every topic of the tenant, archived ones included: a live session of one still holds it.
    const catalog = await this.deps.topics.catalogFor(tenantId);
    return this.deps.repo.eraseUserData(tenantId, userId, actorId, catalog.all.map((t) => t.id), this.deps.clock.now());
  }
}
