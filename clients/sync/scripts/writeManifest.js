#!/usr/bin/env node
// `npm run manifest -w @roam/sync-client`: writes the sync engine's persisted-operation manifest (Apollo format,
// what `roam-pq push` reads) to clients/sync/persisted-operations.json. Needs `npm run build` first.
'use strict';
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { syncManifest } = require('../dist/index.js');
writeFileSync(join(__dirname, '..', 'persisted-operations.json'), `${JSON.stringify(syncManifest(), null, 2)}\n`);
