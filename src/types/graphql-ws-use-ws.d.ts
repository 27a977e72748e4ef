// graphql-ws publishes `graphql-ws/use/ws` through package.json "exports" only, which this
// project's module resolution (CommonJS, node10) does not read for types; Node resolves it
// at run time. The same declarations, by their file path:
declare module 'graphql-ws/use/ws' {
  export * from 'graphql-ws/dist/use/ws';
}
