import { randomUUID } from 'node:crypto';
import { createSourceEventStream, execute, ExecutionArgs, ExecutionResult } from 'graphql';

/**
 * A subscription's events whose results differ from one another only in one text (a streamed
 * reply's `delta` pieces) are executed once per subscription, with a marker as that text; each
 * such event then gets a copy of that result with its text where the marker was. Every other
 * event is executed as graphql-js's own `subscribe` executes it. The wire result is the same:
 * the selection is resolved by default resolvers on an event whose other fields are all null,
 * and the subscription's field resolver (type-graphql's auth check, argument conversion) does
 * not depend on the event. A template whose execution had errors is not used.
 */
export type TextOf = (event: unknown) => string | null;

type Result = ExecutionResult;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A result to copy, with the text put wherever the marker was. */
type Template = (text: string) => Result;

export async function subscribeWithTemplates(args: ExecutionArgs, textOf: TextOf): Promise<AsyncIterableIterator<Result> | Result> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source;
  const iterator = source[Symbol.asyncIterator]();
  let template: Promise<Template | null> | null = null;
  const map = async (event: unknown): Promise<Result> => {
    const text = textOf(event);
    if (text !== null) {
      template ??= templateFor(args, event, text);
      const fill = await template;
      if (fill) return fill(text);
    }
    return execute({ ...args, rootValue: event });
  };
  // As graphql-js's mapAsyncIterator: a failed mapping closes the source, and return() reaches it.
  const close = async () => {
    try {
      await iterator.return?.();
    } catch {
      // The mapping's own error is the one to report.
    }
  };
  const step = async (r: IteratorResult<unknown>): Promise<IteratorResult<Result>> => {
    if (r.done) return { value: undefined, done: true };
    try {
      return { value: await map(r.value), done: false };
    } catch (error) {
      await close();
      throw error;
    }
  };
  const mapped: AsyncIterableIterator<Result> = {
    next: async () => step(await iterator.next()),
    return: async () => (iterator.return ? step(await iterator.return()) : { value: undefined, done: true }),
    throw: async (error: unknown) => {
      await close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return mapped;
}

/** Executes `event` once with a marker for its text; null when that result cannot serve as a template. */
async function templateFor(args: ExecutionArgs, event: unknown, text: string): Promise<Template | null> {
  const marker = `\u0000template-${randomUUID()}`;
  const probe = { ...(event as object) };
  for (const [k, v] of Object.entries(probe)) if (v === text) (probe as Record<string, unknown>)[k] = marker;
  const result = await execute({ ...args, rootValue: probe });
  if (result.errors?.length || result.extensions || !result.data) return null;
  // Without the marker (the text not selected) the result is the same for every such event.
  const data = result.data as Json;
  return (value) => ({ data: fill(data, marker, value) as Result['data'] });
}

function fill(node: Json, marker: string, text: string): Json {
  if (node === marker) return text;
  if (node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) return node.map((v) => fill(v, marker, text));
  const out: Record<string, Json> = {};
  for (const key of Object.keys(node)) out[key] = fill(node[key], marker, text);
  return out;
}
