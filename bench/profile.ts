import { readFileSync } from 'node:fs';

/**
 * Summarises a V8 .cpuprofile (`npm run bench -- --cpu-prof <dir>` writes one per server and
 * measured point): the share of each layer (inclusive: a sample counts for the first layer
 * found on its stack, leaf first), self time per package, and the top functions by self time.
 * Usage: node dist/bench/profile.js <file.cpuprofile> [top]
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const [file, topArg] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; startTime: number; endTime: number };
const total = profile.samples.length;
const self = new Map<string, number>();
const byPackage = new Map<string, number>();
const counts = new Map<number, number>();
for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
for (const n of profile.nodes) {
  const hits = counts.get(n.id) ?? 0;
  if (!hits) continue;
  const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/.*node_modules\//, 'node_modules/').replace(/.*\/dist\//, 'dist/');
  const key = `${n.callFrame.functionName || '(anonymous)'}  ${url}:${n.callFrame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + hits);
  const pkg = url.startsWith('node_modules/')
    ? url.split('/').slice(1, url.split('/')[1].startsWith('@') ? 3 : 2).join('/')
    : url.startsWith('dist/')
      ? url.split('/').slice(0, 3).join('/')
      : url.startsWith('node:')
        ? 'node internals'
        : n.callFrame.functionName.startsWith('(')
          ? n.callFrame.functionName
          : url || '(native)';
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
}
// Layers, by the frames on a sample's (synchronous) stack; the first that matches from the leaf up wins.
const LAYERS: [string, RegExp][] = [
  ['AWS SDK (serde, signing, middleware, its HTTP client)', /node_modules\/(@smithy|@aws-sdk|@aws-crypto)\//],
  ['log line + metrics (pino, prom-client, observability)', /node_modules\/(pino|@pinojs|prom-client|sonic-boom)\/|\/src\/observability\/|\/src\/logger/],
  ['token verification (jose)', /node_modules\/jose\//],
  ['body parsing (body-parser, raw-body)', /node_modules\/(body-parser|raw-body|iconv-lite|type-is|content-type|on-finished)\//],
  ['Express router', /node_modules\/(express|router)\//],
  ['GraphQL execution (graphql-js, type-graphql)', /node_modules\/(graphql|type-graphql|graphql-scalars)\//],
  ['Apollo request pipeline', /node_modules\/@apollo\/|dist\/cjs\/|negotiator|whatwg-mimetype/],
  ['DataLoader', /node_modules\/dataloader\//],
  ["this project's code", /\/dist\/src\//],
];
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
/**
 * A sample's layer: the SDK's when an SDK frame is on the stack (its own socket writes
 * included), the log line's when pino or the metrics are (their writes included), the async
 * hooks' when AsyncLocalStorage's promise hooks are; else the first layer found from the leaf
 * up, where Node's own frames (sockets, the HTTP parser, timers) count as Node unless a
 * package or this project's code is nearer.
 */
const classify = (leaf: number): string => {
  const name = byId.get(leaf)!.callFrame.functionName;
  if (name === '(garbage collector)' || name === '(idle)' || name === '(program)') return name;
  const stack: Node[] = [];
  for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) stack.push(byId.get(id)!);
  for (const [l, re] of LAYERS.slice(0, 2)) if (stack.some((n) => re.test(n.callFrame.url))) return l;
  if (stack.some((n) => /^node:(internal\/)?async_hooks$/.test(n.callFrame.url))) return 'AsyncLocalStorage (promise hooks)';
  for (const n of stack) {
    const url = n.callFrame.url;
    if (url.startsWith('node:')) return 'Node (HTTP in and out, sockets, timers, promises)';
    for (const [l, re] of LAYERS) if (re.test(url)) return l;
  }
  return 'Node (HTTP in and out, sockets, timers, promises)';
};
const byLayer = new Map<string, number>();
for (const [id, hits] of counts) {
  const layer = classify(id);
  byLayer.set(layer, (byLayer.get(layer) ?? 0) + hits);
}
const pct = (n: number) => ((100 * n) / total).toFixed(1).padStart(5) + '%';
const top = Number(topArg ?? 30);
console.log(`${total} samples over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s\n\nby layer (inclusive):`);
for (const [k, v] of [...byLayer].sort((a, b) => b[1] - a[1])) console.log(`${pct(v)}  ${k}`);
console.log(`\nself time by package:`);
for (const [k, v] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${pct(v)}  ${k}`);
console.log(`\ntop ${top} functions by self time:`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
