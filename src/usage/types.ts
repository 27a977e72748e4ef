import { Field, Float, Int } from 'type-graphql';
import { ObjectType } from '../graphql/object-type';

// Token usage and budgets (docs/contract.md "Additions (third round)": Usage, Budgets).

@ObjectType({ description: 'What model calls consumed: input and output tokens (the embedded coach estimates them: docs/coach.md#token-usage)' })
export class TokenUsage {
  @Field(() => Int) inputTokens!: number;
  @Field(() => Int) outputTokens!: number;
}

@ObjectType({ description: "One topic's share of a tenant's month" })
export class TopicUsage {
  @Field() topicId!: string;
  @Field(() => Float) inputTokens!: number;
  @Field(() => Float) outputTokens!: number;
  @Field(() => Float, { description: 'Coach replies to user messages stored this month (a regenerated reply is not another turn)' })
  turns!: number;
  @Field(() => Int, { description: 'Replies rated this month (rateReply; a replaced rating counts once)' })
  ratingCount!: number;
  @Field(() => Float, { nullable: true, description: 'The average rating; null below 5 ratings, so that no one rating can be read back' })
  ratingAverage!: number | null;
}

@ObjectType({ description: "Admin: a tenant's model usage for one UTC month, and its caps (docs/administration.md#usage-and-budgets)" })
export class TenantUsage {
  @Field({ description: 'YYYY-MM (UTC)' }) month!: string;
  @Field(() => Float) inputTokens!: number;
  @Field(() => Float) outputTokens!: number;
  @Field(() => Float) turns!: number;
  @Field(() => Float, { nullable: true, description: 'Monthly cap of input plus output tokens for the whole tenant; null: none' })
  budgetTokens!: number | null;
  @Field(() => Float, { nullable: true, description: 'Monthly cap of input plus output tokens for each user; null: none' })
  perUserBudgetTokens!: number | null;
  @Field(() => [TopicUsage]) byTopic!: TopicUsage[];
}
