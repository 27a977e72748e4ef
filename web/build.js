// npm run build:web: the reference client as a static folder, dist/web/ (index.html,
// style.css, demo.js). Steps:
//  1. GraphQL codegen, when web/generated/ is missing or older than the schema/operations;
//  2. tsc -p tsconfig.web.json: type-checks the page against the documents (emits nothing);
//  3. esbuild bundles web/demo.ts and what it imports, graphql-ws's client included, into
//     one ES module: a bare `graphql-ws` import would not resolve in a browser, and one
//     script from the page's own origin keeps the CSP at script-src 'self';
//  4. copy the static files.
const { execFileSync } = require('node:child_process');
const { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } = require('node:fs');
const { join } = require('node:path');
const esbuild = require('esbuild');

const root = join(__dirname, '..');
const out = join(root, 'dist', 'web');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0);
const graphqlFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? graphqlFiles(join(dir, e.name)) : e.name.endsWith('.graphql') ? [join(dir, e.name)] : [],
  );

const generated = join(__dirname, 'generated', 'graphql.ts');
const inputs = [join(root, 'schema.graphql'), join(root, 'codegen.yml'), ...graphqlFiles(join(root, 'operations'))];
if (mtime(generated) < Math.max(...inputs.map(mtime))) {
  execFileSync(bin('graphql-codegen'), ['--config', 'codegen.yml', '--silent'], { cwd: root, stdio: 'inherit' });
}
execFileSync(bin('tsc'), ['-p', 'tsconfig.web.json'], { cwd: root, stdio: 'inherit' });
// A fresh folder: no module of an earlier, unbundled build is left to be served.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
esbuild.buildSync({
  entryPoints: [join(__dirname, 'demo.ts')],
  outfile: join(out, 'demo.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  // The readable sources, for the browser's developer tools.
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) copyFileSync(join(__dirname, file), join(out, file));
for (const file of ['demo.js', 'index.html', 'style.css']) {
  if (!existsSync(join(out, file))) throw new Error(`dist/web/${file} is missing after the build`);
}
if (process.env.npm_lifecycle_event === 'build:web') {
  process.stdout.write(`reference client built in ${out} (demo.js: ${statSync(join(out, 'demo.js')).size} bytes)\n`);
}
