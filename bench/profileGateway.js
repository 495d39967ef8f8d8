#!/usr/bin/env node
// Runs the gateway (gateway/dist/bin.js) under `node --cpu-prof`, writing a .cpuprofile into the
// directory BENCH_GATEWAY_PROFILE when it stops. SIGTERM/SIGINT are forwarded. Used by
// `BENCH_GATEWAY_PROFILE=/tmp/prof node bench/subscriptions.js …`; open the file in Chrome DevTools.
// BENCH_GATEWAY_DIR: another built checkout's gateway.
'use strict';
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_GATEWAY_PROFILE}`, join(process.env.BENCH_GATEWAY_DIR || join(__dirname, '..'), 'gateway/dist/bin.js')], {
  stdio: 'inherit',
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 1));
