#!/usr/bin/env node
// Committed shim so `npm install` can link this bin before `npm run build` creates dist/.
'use strict';
try {
  require.resolve('../dist/demo.js');
} catch {
  process.stderr.write('roam-sync-demo: ../dist/demo.js is missing; run `npm run build` first\n');
  process.exit(1);
}
require('../dist/demo.js');
