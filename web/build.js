// npm run build:web: the reference client as a static folder, dist/web/ (index.html,
// style.css, demo.js and the typed documents it imports). Steps:
//  1. GraphQL codegen, when web/generated/ is missing or older than the schema/operations;
//  2. tsc -p tsconfig.web.json (browser ES modules, type-checked against the documents);
//  3. copy the static files.
const { execFileSync } = require('node:child_process');
const { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

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
mkdirSync(out, { recursive: true });
for (const file of ['index.html', 'style.css']) copyFileSync(join(__dirname, file), join(out, file));
for (const file of ['demo.js', join('generated', 'graphql.js'), 'index.html', 'style.css']) {
  if (!existsSync(join(out, file))) throw new Error(`dist/web/${file} is missing after the build`);
}
if (process.env.npm_lifecycle_event === 'build:web') process.stdout.write(`reference client built in ${out}\n`);
