#!/usr/bin/env node
// `npm start`: starts every reference subgraph of the registry (subgraphs/registry/registry.json) and
// the gateway as child processes, composing the supergraph first when a subgraph schema is newer than
// it or its URLs differ, prints the URLs, and stops every child on Ctrl-C, SIGTERM or SIGHUP. Needs no
// Redis or other service. Every setting is validated before anything starts: the gateway's through its
// own readConfig, each `<NAME>_PORT`/`<NAME>_URL` through readStackSettings (the module
// `npm run compose` uses, so both name the same supergraph file). Ports: PORT (gateway, 4000) and each
// subgraph's `<NAME>_PORT` (registry default). A subgraph that exits is reported and the rest keep
// running; the gateway exiting stops everything. No process outlives its parent: each child gets an
// IPC channel and stops when it closes (this process died, even by SIGKILL; see the kit's onParentExit
// and gateway/src/bin.ts), and this process stops its children when its own parent goes away (npm
// forwards SIGTERM/SIGINT to its `sh -c`, which dies without passing it on).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { existsSync, statSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const http = require('node:http');
const { repoPath } = require('../subgraphs/registry');
const { readStackSettings, StackSettingsError } = require('../subgraphs/registry/stackSettings');

const root = join(__dirname, '..');

/** Validates every setting before anything starts. @returns { settings, gateway } or exits 1 naming each bad variable and its value. */
function readSettings() {
  const problems = [];
  let settings;
  try {
    settings = readStackSettings(process.env);
  } catch (error) {
    if (!(error instanceof StackSettingsError)) throw error;
    problems.push(error.message);
  }
  const gatewayEnv = { ...process.env, HOST: process.env.HOST || '127.0.0.1', SUPERGRAPH_PATH: settings ? settings.supergraphPath : 'supergraph.graphql' };
  let gateway;
  try {
    gateway = require(join(root, 'gateway/dist/config.js')).readConfig(gatewayEnv);
  } catch (error) {
    if (error.name !== 'ConfigError') throw error;
    problems.push(error.message);
  }
  // The subgraphs' own settings (DATASET or --dataset, SUBGRAPH_SIGNING_SECRET, ...) through their own reader, once:
  // a bad one used to start some subgraphs, print the same error from each and stop.
  if (settings) {
    try {
      const first = settings.subgraphs[0];
      require(join(root, 'subgraphs/kit/dist/subgraphConfig.js')).readSubgraphConfig(first.port, { ...process.env, PORT: String(first.port), HOST: '127.0.0.1' }, process.argv.slice(2));
    } catch (error) {
      problems.push(error.message);
    }
    if (settings.subgraphs.some((s) => s.entry.name === 'lists')) {
      try {
        require(join(root, 'subgraphs/lists/dist/listsConfig.js')).readListsConfig(process.env);
      } catch (error) {
        problems.push(error.message);
      }
    }
  }
  // Arguments go to every subgraph: only --dataset is one (`npm start -- --port 4800` gave them all one port).
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--dataset') i++;
    else if (!args[i].startsWith('--dataset=')) {
      problems.push(`Invalid npm start arguments:\n  ${JSON.stringify(args[i])}: npm start takes only --dataset benchmark|large; settings are environment variables (README "Settings")`);
      break;
    }
  }
  if (gateway && settings) {
    if (gateway.port === 0) problems.push(`Invalid Roam stack settings:\n  PORT=${JSON.stringify(process.env.PORT)}: npm start needs a fixed gateway port, 1 to 65535`);
    const clash = settings.subgraphs.find((s) => s.port === gateway.port);
    if (clash) problems.push(`Invalid Roam stack settings:\n  PORT=${JSON.stringify(String(gateway.port))}: the same port as ${clash.entry.portVariable}`);
  }
  if (problems.length > 0) {
    process.stderr.write(`[roam] npm start: nothing was started.\n${problems.join('\n')}\n`);
    process.exit(1);
  }
  return { settings, gateway, gatewayEnv };
}

const { settings, gateway, gatewayEnv } = readSettings();
const subgraphs = settings.subgraphs;
const supergraph = settings.supergraphPath;

/** The subgraph URLs a supergraph file routes to, by subgraph name (from its `@join__graph` values). */
function urlsIn(file) {
  const urls = {};
  for (const m of readFileSync(file, 'utf8').matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)) urls[m[1]] = m[2];
  return urls;
}

function needsCompose() {
  if (!existsSync(supergraph)) return true;
  const built = statSync(supergraph).mtimeMs;
  if (subgraphs.some((s) => statSync(repoPath(s.entry.schema)).mtimeMs > built)) return true;
  const urls = urlsIn(supergraph);
  return Object.keys(urls).length !== subgraphs.length || subgraphs.some((s) => urls[s.entry.name] !== s.url);
}

if (needsCompose()) {
  // Same variables, same module (readStackSettings): compose writes exactly `supergraph`.
  const r = spawnSync(process.execPath, [join(root, 'gateway/dist/compose/cli.js')], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) process.exit(r.status || 1);
}

const children = [];
let stopping = false;
let running = false; // true once every child is healthy: before that, any exit stops the start
function start(name, script, env) {
  const child = spawn(process.execPath, [script, ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    if (name === 'gateway' || !running) {
      console.error(`[roam] ${name} exited (${signal || code})${running ? '' : ' while starting'}; stopping everything`);
      return stop(1);
    }
    // A subgraph that exits is reported; the rest keep running and the gateway degrades (that
    // subgraph's fields are null with SUBREQUEST_HTTP_ERROR) until you restart `npm start`.
    console.error(`[roam] subgraph ${name} exited (${signal ? `signal ${signal}` : `code ${code}`}); the gateway and the other subgraphs keep running, its fields are null with SUBREQUEST_HTTP_ERROR`);
  });
  children.push(child);
}

function waitHealthy(port, path, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tryOnce = () => {
      if (stopping) return reject(new Error('stopping'));
      const req = http.get({ host: '127.0.0.1', port, path, timeout: 1000 }, (res) => {
        res.resume();
        if (res.statusCode === 200) return resolve();
        retry();
      });
      req.on('error', retry);
    };
    const retry = () => (Date.now() > deadline ? reject(new Error(`port ${port} not healthy after ${timeoutMs} ms`)) : setTimeout(tryOnce, 100));
    tryOnce();
  });
}

function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    process.exit(code);
  }, 5000);
  Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.on('exit', r))))).then(() => {
    clearTimeout(timer);
    process.exit(code);
  });
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(0));
require(join(root, 'subgraphs/kit/dist/onParentExit.js')).onParentExit((reason) => {
  console.error(`[roam] ${reason}; stopping everything`);
  stop(0);
});

(async () => {
  for (const s of subgraphs) start(s.entry.name, repoPath(s.entry.main), { PORT: String(s.port), HOST: '127.0.0.1' });
  try {
    await Promise.all(subgraphs.map((s) => waitHealthy(s.port, '/health', 30000)));
    if (stopping) return;
    start('gateway', join(root, 'gateway/dist/bin.js'), { PORT: String(gateway.port), HOST: gatewayEnv.HOST, SUPERGRAPH_PATH: supergraph });
    await waitHealthy(gateway.port, '/ready', 30000);
  } catch (error) {
    if (stopping) return;
    console.error(`[roam] start failed: ${error.message}`);
    return stop(1);
  }
  running = true;
  const host = gatewayEnv.HOST;
  console.log('\nRoam is running:');
  console.log(`  gateway    http://${host}:${gateway.port}/graphql   (ws://${host}:${gateway.port}/graphql)`);
  for (const s of subgraphs) console.log(`  ${s.entry.name.padEnd(10)} http://127.0.0.1:${s.port}/graphql`);
  console.log('Press Ctrl-C to stop.\n');
})();
