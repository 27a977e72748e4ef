import { readFileSync } from 'node:fs';

/**
 * Summarises a V8 .cpuprofile (node --cpu-prof; `npm run bench -- --cpu-prof <dir>` profiles
 * the server): the top functions by self time, and self time per package.
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
const pct = (n: number) => ((100 * n) / total).toFixed(1).padStart(5) + '%';
const top = Number(topArg ?? 30);
console.log(`${total} samples over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s\n\nself time by package:`);
for (const [k, v] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${pct(v)}  ${k}`);
console.log(`\ntop ${top} functions by self time:`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
