import { Field, Int } from 'type-graphql';
import { ObjectType } from './object-type';

@ObjectType({ description: 'What eraseMyData / eraseUserData deleted' })
export class ErasureResult {
  @Field(() => Int, { description: 'Sessions deleted (live, ended, and expired ones not yet removed by TTL)' })
  sessionsDeleted!: number;
  @Field(() => Int, { description: 'Items deleted in all: sessions, their messages and records, topic holds' })
  itemsDeleted!: number;
}
