import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { SessionStatus as DomainSessionStatus } from '../domain/session';
import { ADMIN_ROLE } from '../graphql/auth';
import { Context } from '../graphql/context';
import { toSessionConnection } from '../graphql/mappers';
import { CoachingSessionConnection, SessionStatus } from '../graphql/types';

/** A tenant admin's listings (docs/administration.md): the `admin` role only; metadata of the caller's tenant. */
@Authorized(ADMIN_ROLE)
@Resolver()
export class AdminResolver {
  @Query(() => CoachingSessionConnection, { description: "Admin: your tenant's live sessions idle for at least minIdleMinutes, oldest activity first" })
  async idleSessions(
    @Arg('minIdleMinutes', () => Int) minIdleMinutes: number,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<CoachingSessionConnection> {
    return toSessionConnection(await ctx.services.listings.idleSessions(ctx.viewer!, minIdleMinutes, first ?? null, after ?? null), after);
  }

  @Query(() => CoachingSessionConnection, {
    description: "Admin: your tenant's sessions of a topic (all topics when omitted), most recent activity first",
  })
  async tenantSessions(
    @Arg('topicId', () => ID, { nullable: true }) topicId: string | null,
    @Arg('status', () => [SessionStatus], { nullable: true }) status: DomainSessionStatus[] | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<CoachingSessionConnection> {
    const page = await ctx.services.listings.tenantSessions(ctx.viewer!, topicId ?? null, status ?? null, first ?? null, after ?? null);
    return toSessionConnection(page, after);
  }
}
