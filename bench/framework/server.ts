import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import express from 'express';
import { graphqlHandler, leanPlugins } from '../../src/http/graphql-handler';
import { BareContext, buildBareSchema } from './schema';

/**
 * The framework floor's server: the bare schema on Apollo Server 5, with Apollo's own
 * defaults (CSRF prevention, no batching), served one of two ways:
 * - 'express': as main served /graphql before this branch (Express 5 + express.json +
 *   @as-integrations/express5);
 * - 'node': as the server serves /graphql now: src/http/graphql-handler.ts on node:http,
 *   with the same Apollo plugins switched off (leanPlugins).
 */
export type Transport = 'express' | 'node';

export async function startFrameworkServer(db: DynamoDBDocumentClient, table: string, transport: Transport, host: string) {
  const httpServer = http.createServer();
  const apollo = new ApolloServer<BareContext>({ schema: buildBareSchema(), plugins: transport === 'node' ? leanPlugins<BareContext>() : [] });
  await apollo.start();
  const context = async (headers: http.IncomingHttpHeaders): Promise<BareContext> => ({
    db,
    table,
    tenantId: String(headers['x-bench-tenant']),
    userId: String(headers['x-bench-user'] ?? 'u'),
  });
  if (transport === 'express') {
    const app = express();
    app.use('/graphql', express.json({ limit: 100_000 }), expressMiddleware(apollo, { context: async ({ req }) => context(req.headers) }));
    httpServer.on('request', app);
  } else {
    const handle = graphqlHandler({ apollo, bodyLimitBytes: 100_000, context: async (req) => context(req.headers) });
    httpServer.on('request', (req, res) => void handle(req, res));
  }
  await new Promise<void>((resolve) => httpServer.listen(0, host, resolve));
  const port = (httpServer.address() as { port: number }).port;
  return { url: `http://${host}:${port}/graphql`, httpServer, stop: () => apollo.stop().then(() => new Promise((r) => httpServer.close(r))) };
}
