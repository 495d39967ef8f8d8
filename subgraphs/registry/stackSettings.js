// The settings `npm start` (scripts/start.js) and `npm run compose` (gateway/src/compose/cli.ts) share,
// read from the same variables by the same code so that both name the same supergraph file.
'use strict';
const { join, resolve } = require('node:path');
const { REPO_ROOT, SUBGRAPHS, loopbackUrl } = require('./index');

/** Thrown by readStackSettings; `message` lists every bad variable with the value given. */
class StackSettingsError extends Error {
  constructor(problems) {
    super(`Invalid Roam stack settings:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'StackSettingsError';
    this.problems = problems;
  }
}

/**
 * Reads each reference subgraph's port (`<NAME>_PORT`, default from the registry) and URL
 * (`<NAME>_URL`, default `http://127.0.0.1:<port>/graphql`), and the supergraph file they compose into:
 * `SUPERGRAPH_PATH` when set; else the tracked `supergraph.graphql` when every URL is the default one;
 * else the untracked `.roam/supergraph.<port>-<port>-….graphql`, named after the ports.
 *
 * @param env - variables to read (process.env in the scripts).
 * @returns { subgraphs: [{ entry, port, url }], supergraphPath (absolute), defaultUrls (boolean) }.
 * @throws StackSettingsError naming every invalid or duplicated variable and the value given.
 */
function readStackSettings(env) {
  const problems = [];
  const subgraphs = SUBGRAPHS.map((entry) => {
    const rawPort = env[entry.portVariable];
    let port = entry.port;
    if (rawPort !== undefined && rawPort !== '') {
      port = /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : NaN;
      if (!(port >= 1 && port <= 65535)) problems.push(`${entry.portVariable}=${JSON.stringify(rawPort)}: expected a TCP port, an integer from 1 to 65535`);
    }
    const rawUrl = env[entry.urlVariable];
    let url = loopbackUrl(entry, port);
    if (rawUrl !== undefined && rawUrl !== '') {
      if (!/^https?:\/\/[^\s/]+/.test(rawUrl)) problems.push(`${entry.urlVariable}=${JSON.stringify(rawUrl)}: expected an http:// or https:// URL`);
      url = rawUrl;
    }
    return Object.freeze({ entry, port, url });
  });
  for (const [i, s] of subgraphs.entries()) {
    const other = subgraphs.findIndex((o) => o.port === s.port);
    if (other < i && Number.isInteger(s.port)) problems.push(`${s.entry.portVariable}=${JSON.stringify(String(s.port))}: the same port as ${subgraphs[other].entry.portVariable}`);
  }
  if (problems.length > 0) throw new StackSettingsError(problems);
  const defaultUrls = subgraphs.every((s) => s.url === loopbackUrl(s.entry));
  const supergraphPath = env.SUPERGRAPH_PATH
    ? resolve(env.SUPERGRAPH_PATH)
    : defaultUrls
      ? join(REPO_ROOT, 'supergraph.graphql')
      : join(REPO_ROOT, '.roam', `supergraph.${subgraphs.map((s) => s.port).join('-')}.graphql`);
  return Object.freeze({ subgraphs: Object.freeze(subgraphs), supergraphPath, defaultUrls });
}

module.exports = { readStackSettings, StackSettingsError };
