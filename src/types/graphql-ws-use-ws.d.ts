// `graphql-ws/use/ws` is published through "exports" only, which node10 resolution does not read for types.
declare module 'graphql-ws/use/ws' {
  export * from 'graphql-ws/dist/use/ws';
}
