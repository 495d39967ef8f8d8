#!/usr/bin/env node
// `npm run generate:deploy`: rewrites docker-compose.yml, Dockerfile, deploy/supergraph.graphql and the
// observability files under deploy/ from the registry (scripts/deploy.js). `--check` writes nothing and exits 1 listing the files that differ.
'use strict';
const { existsSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { REPO_ROOT } = require('../subgraphs/registry');
const { DEPLOY_FILES } = require('./deploy');

const check = process.argv.includes('--check');
const stale = [];
for (const [file, render] of Object.entries(DEPLOY_FILES)) {
  const path = join(REPO_ROOT, file);
  const text = render();
  if (existsSync(path) && readFileSync(path, 'utf8') === text) continue;
  stale.push(file);
  if (check) continue;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
if (check && stale.length > 0) {
  process.stderr.write(`Out of date (run npm run generate:deploy): ${stale.join(', ')}\n`);
  process.exit(1);
}
process.stdout.write(stale.length === 0 ? 'Deployment files are up to date.\n' : `Wrote ${stale.join(', ')}\n`);
