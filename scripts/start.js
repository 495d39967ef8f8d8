#!/usr/bin/env node
// `npm start`: composes the supergraph when a subgraph schema is newer than it, starts the four
// reference subgraphs and the gateway as child processes, prints the URLs, and stops every child on
// Ctrl-C or SIGTERM. Needs no Redis or other service. Ports: PORT (gateway, 4000) and the subgraphs'
// ACCOUNTS_PORT/PRODUCTS_PORT/INVENTORY_PORT/REVIEWS_PORT (4001-4004). A subgraph that exits is
// reported and the rest keep running; the gateway exiting stops everything.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');
const http = require('node:http');

const root = join(__dirname, '..');
const subgraphs = [
  { name: 'accounts', port: Number(process.env.ACCOUNTS_PORT || 4001), defaultPort: 4001 },
  { name: 'products', port: Number(process.env.PRODUCTS_PORT || 4002), defaultPort: 4002 },
  { name: 'inventory', port: Number(process.env.INVENTORY_PORT || 4003), defaultPort: 4003 },
  { name: 'reviews', port: Number(process.env.REVIEWS_PORT || 4004), defaultPort: 4004 },
];
const gatewayPort = Number(process.env.PORT || 4000);
const host = process.env.HOST || '127.0.0.1';
const urlEnv = Object.fromEntries(subgraphs.map((s) => [`${s.name.toUpperCase()}_URL`, process.env[`${s.name.toUpperCase()}_URL`] || `http://127.0.0.1:${s.port}/graphql`]));
const defaultUrls = subgraphs.every((s) => urlEnv[`${s.name.toUpperCase()}_URL`] === `http://127.0.0.1:${s.defaultPort}/graphql`);
// The tracked supergraph.graphql only ever holds the default URLs (127.0.0.1:4001-4004). Other ports or
// URLs compose into an untracked file under .roam/ (gitignored), named after the ports, unless
// SUPERGRAPH_PATH names a file.
const supergraph = process.env.SUPERGRAPH_PATH
  || (defaultUrls ? join(root, 'supergraph.graphql') : join(root, '.roam', `supergraph.${subgraphs.map((s) => s.port).join('-')}.graphql`));

/** The subgraph URLs a supergraph file routes to, by subgraph name (from its `@join__graph` values). */
function urlsIn(file) {
  const urls = {};
  for (const m of readFileSync(file, 'utf8').matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)) urls[m[1]] = m[2];
  return urls;
}

function needsCompose() {
  if (!existsSync(supergraph)) return true;
  const built = statSync(supergraph).mtimeMs;
  if (subgraphs.some((s) => statSync(join(root, 'subgraphs', s.name, 'schema.graphql')).mtimeMs > built)) return true;
  const urls = urlsIn(supergraph);
  return subgraphs.some((s) => urls[s.name] !== urlEnv[`${s.name.toUpperCase()}_URL`]);
}

if (needsCompose()) {
  if (!process.env.SUPERGRAPH_PATH && !defaultUrls) mkdirSync(join(root, '.roam'), { recursive: true });
  const r = spawnSync(process.execPath, [join(root, 'gateway/dist/compose/cli.js'), '--out', supergraph], { stdio: 'inherit', env: { ...process.env, ...urlEnv } });
  if (r.status !== 0) process.exit(r.status || 1);
}

const children = [];
let stopping = false;
let running = false; // true once every child is healthy: before that, any exit stops the start
function start(name, script, env) {
  const child = spawn(process.execPath, [script, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, ...env } });
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
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    process.exit(code);
  }, 5000);
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.on('exit', r))))).then(() => {
    clearTimeout(timer);
    process.exit(code);
  });
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

(async () => {
  for (const s of subgraphs) start(s.name, join(root, 'subgraphs', s.name, 'dist/index.js'), { PORT: String(s.port), HOST: '127.0.0.1' });
  try {
    await Promise.all(subgraphs.map((s) => waitHealthy(s.port, '/health', 30000)));
    start('gateway', join(root, 'gateway/dist/bin.js'), { PORT: String(gatewayPort), HOST: host, SUPERGRAPH_PATH: supergraph });
    await waitHealthy(gatewayPort, '/ready', 30000);
  } catch (error) {
    console.error(`[roam] start failed: ${error.message}`);
    return stop(1);
  }
  running = true;
  console.log('\nRoam is running:');
  console.log(`  gateway    http://${host}:${gatewayPort}/graphql   (ws://${host}:${gatewayPort}/graphql)`);
  for (const s of subgraphs) console.log(`  ${s.name.padEnd(10)} http://127.0.0.1:${s.port}/graphql`);
  console.log('Press Ctrl-C to stop.\n');
})();
