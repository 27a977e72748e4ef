import { Arg, Authorized, Ctx, Float, Mutation, Query, Resolver } from 'type-graphql';
import { ADMIN_ROLE } from '../graphql/auth';
import { Context } from '../graphql/context';
import { TenantUsage } from './types';

/** Token usage and caps of the caller's tenant (docs/administration.md#usage-and-budgets): admins only. */
@Authorized(ADMIN_ROLE)
@Resolver()
export class UsageResolver {
  @Query(() => TenantUsage, { description: "Admin: your tenant's model tokens and turns of a UTC month (YYYY-MM; default the current one), by topic, and its caps" })
  tenantUsage(@Arg('month', () => String, { nullable: true }) month: string | null, @Ctx() ctx: Context): Promise<TenantUsage> {
    return ctx.services.tenantUsage.get(ctx.viewer!, month ?? null);
  }

  @Mutation(() => TenantUsage, { description: "Admin: your tenant's monthly token caps, for the tenant and for each user (null removes a cap); returns the current month" })
  setTenantBudget(
    @Arg('monthlyTokens', () => Float, { nullable: true }) monthlyTokens: number | null,
    @Arg('perUserMonthlyTokens', () => Float, { nullable: true }) perUserMonthlyTokens: number | null,
    @Ctx() ctx: Context,
  ): Promise<TenantUsage> {
    return ctx.services.tenantUsage.setBudget(ctx.viewer!, monthlyTokens, perUserMonthlyTokens);
  }
}
