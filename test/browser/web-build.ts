import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * Builds the reference client (dist/web) when it is missing or older than its sources, as
 * `npm run build:web` does (npm test builds it before jest runs). Never rebuilds a fresh
 * build, so test files running in parallel do not rewrite what another one serves.
 */
export function ensureWebBuilt(): string {
  const out = join(ROOT, 'dist', 'web');
  const built = ['index.html', 'style.css', 'demo.js'].map((f) => join(out, f));
  const sources = readdirSync(join(ROOT, 'web')).map((f) => join(ROOT, 'web', f)).concat(join(ROOT, 'operations'), join(ROOT, 'schema.graphql'));
  const oldestBuilt = Math.min(...built.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
  const newestSource = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  if (oldestBuilt < newestSource) execFileSync(process.execPath, [join(ROOT, 'web', 'build.js')], { cwd: ROOT, stdio: 'pipe' });
  return out;
}
