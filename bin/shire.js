#!/usr/bin/env node
// The `shire` command: runs src/cli.ts through tsx so no build step is needed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', path.join(root, 'src/cli.ts'), ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
