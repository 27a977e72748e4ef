import { createHash } from 'node:crypto';
import type { DocumentStore } from '@apollo/server';
import {
  DocumentNode,
  GraphQLError,
  GraphQLFormattedError,
  GraphQLSchema,
  Location,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  ValidationRule,
  visit,
} from 'graphql';
import { Lru } from '../lru';
import { depthLimit } from './depth-limit';
import { shapeError, ShapeLimits } from './document-shape';

export interface GateLimits {
  /** Tokens one document may have (graphql-js stops parsing past it). */
  maxTokens: number;
  maxQueryDepth: number;
  shape: ShapeLimits;
  /** Production: no introspection, no "Did you mean ...?" suggestions. */
  production: boolean;
}

/** What the gate remembers of one document text. */
export type Gated = { ok: true; document: DocumentNode } | { ok: false; errors: GraphQLFormattedError[] };

/**
 * The gate's memory: entries, and an estimate of the bytes they hold. An entry holds about 47
 * bytes per source character with its document's tokens dropped (withoutTokens), 68 as parsed
 * (`npm run bench:memory` measures both).
 */
export const GATE_CACHE = { maxEntries: 2000, maxBytes: 32 * 1024 * 1024, bytesPerChar: 48 };
/** Validation stops after this many errors: one is enough to say why, and each costs. */
const MAX_ERRORS = 10;

/**
 * Every document, whatever the transport, is parsed, measured and validated once per distinct
 * text (an LRU by SHA-256); Apollo reads the results through `documentStore`.
 */
export class DocumentGate {
  private readonly known = new Lru<Gated>(GATE_CACHE.maxEntries, GATE_CACHE.maxBytes);
  private readonly rules: ValidationRule[];

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: GateLimits,
  ) {
    this.rules = [...specifiedRules, depthLimit(limits.maxQueryDepth), ...(limits.production ? [NoSchemaIntrospectionCustomRule] : [])];
  }

  check(source: string): Gated {
    const hash = queryHash(source);
    const known = this.known.get(hash);
    if (known) return known;
    const gated = this.run(source);
    const errorBytes = gated.ok ? 0 : JSON.stringify(gated.errors).length;
    this.known.set(hash, gated, source.length * GATE_CACHE.bytesPerChar + errorBytes);
    return gated;
  }

  /** Apollo's documentStore: the documents that passed, by Apollo's key (`<schema hash>:<query hash>`). */
  get documentStore(): DocumentStore {
    return {
      get: async (key) => {
        const gated = this.known.get(key.slice(key.lastIndexOf(':') + 1));
        return gated?.ok ? gated.document : undefined;
      },
      set: async () => {}, // the gate keeps its own
      delete: async () => {},
    };
  }

  /** Entries and estimated bytes held (tests: the cache stays bounded). */
  get held() {
    return { entries: this.known.size, bytes: this.known.bytes };
  }

  private run(source: string): Gated {
    let document: DocumentNode;
    try {
      document = parse(source, { maxTokens: this.limits.maxTokens });
    } catch (e) {
      return refused([e instanceof GraphQLError ? e : new GraphQLError('The document could not be parsed')], 'GRAPHQL_PARSE_FAILED');
    }
    const shape = shapeError(document, this.limits.shape);
    if (shape) return refused([shape], 'GRAPHQL_VALIDATION_FAILED');
    const errors = validate(this.schema, document, this.rules, { maxErrors: MAX_ERRORS, hideSuggestions: this.limits.production });
    return errors.length ? refused(errors, 'GRAPHQL_VALIDATION_FAILED') : { ok: true, document: withoutTokens(document) };
  }
}

/**
 * A parsed document keeps every token of its text, linked from each node's location. Once it
 * is validated only a location's start, end and source are needed (an execution error's
 * `locations`), so the kept document drops the tokens: a third of its memory.
 */
function withoutTokens(document: DocumentNode): DocumentNode {
  visit(document, {
    enter(node) {
      const loc = node.loc;
      if (loc) (node as { loc?: Location }).loc = Object.assign(Object.create(Location.prototype) as Location, { start: loc.start, end: loc.end, source: loc.source });
    },
  });
  return document;
}

/** Apollo's query hash: the hex SHA-256 of the document text. */
export const queryHash = (source: string) => createHash('sha256').update(source).digest('hex');

/** Errors as clients see them, with their code (kept as plain data: nothing holds the document). */
function refused(errors: readonly GraphQLError[], code: string): Gated {
  return { ok: false, errors: errors.map((e) => ({ message: e.message, ...(e.locations ? { locations: e.locations } : {}), extensions: { ...numbers(e.extensions), code } })) };
}

const numbers = (extensions: Record<string, unknown> | undefined) =>
  Object.fromEntries(Object.entries(extensions ?? {}).filter(([, v]) => typeof v === 'number'));
