import { ClassType, Field } from 'type-graphql';
import { ObjectType } from './object-type';

/** Relay connections via type-graphql's generic-types pattern: `class XEdge extends EdgeType(X) {}` names the type. */

@ObjectType({ description: 'Relay page information' })
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field() hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

export function EdgeType<TNode extends object>(Node: ClassType<TNode>) {
  @ObjectType()
  abstract class Edge {
    @Field() cursor!: string;
    @Field(() => Node) node!: TNode;
  }
  return Edge;
}

export function ConnectionType<TEdge extends object>(Edge: ClassType<TEdge>) {
  @ObjectType()
  abstract class Connection {
    @Field(() => [Edge]) edges!: TEdge[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
  }
  return Connection;
}

export interface Connection<TNode> {
  edges: { cursor: string; node: TNode }[];
  pageInfo: PageInfo;
}

/** A connection from one page of items in order. */
export function toConnection<TItem, TNode>(
  items: readonly TItem[],
  edge: (item: TItem, index: number) => { cursor: string; node: TNode },
  more: { hasNextPage: boolean; hasPreviousPage: boolean },
): Connection<TNode> {
  const edges = items.map(edge);
  return {
    edges,
    pageInfo: {
      hasNextPage: more.hasNextPage,
      hasPreviousPage: more.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
