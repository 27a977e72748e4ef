import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { printSdl } from './schema';

// Resolved from the project root, not __dirname (which is dist/ after tsc).
const file = resolve(process.cwd(), 'schema.graphql');
writeFileSync(file, printSdl());
process.stdout.write(`wrote ${file}\n`);
