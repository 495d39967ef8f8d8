// The registry of reference subgraphs: registry.json, validated once, with the paths and URLs derived
// from it. Plain CommonJS so scripts/start.js and bench/*.js use it without a build; index.d.ts types it.
'use strict';
const { readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

/** Repository root (this package lives in subgraphs/registry). */
const REPO_ROOT = resolve(__dirname, '..', '..');

const NAME = /^[a-z][a-z0-9-]*$/;
const VARIABLE = /^[A-Z][A-Z0-9_]*$/;

/**
 * Checks the parsed registry.json and returns frozen entries.
 * @throws Error naming the entry and field that is missing or wrong, or the duplicated name/port/variable.
 */
function parseRegistry(raw) {
  if (!raw || typeof raw !== 'object' || !Array.isArray(raw.subgraphs) || raw.subgraphs.length === 0)
    throw new Error('subgraphs/registry/registry.json: expected { "subgraphs": [ ...at least one entry ] }');
  const seen = new Map();
  const unique = (kind, value, name) => {
    const key = `${kind}:${value}`;
    if (seen.has(key)) throw new Error(`subgraphs/registry/registry.json: ${kind} ${JSON.stringify(value)} is used by both "${seen.get(key)}" and "${name}"`);
    seen.set(key, name);
  };
  return Object.freeze(
    raw.subgraphs.map((e, i) => {
      const where = `subgraphs/registry/registry.json: subgraphs[${i}]${e && typeof e.name === 'string' ? ` ("${e.name}")` : ''}`;
      const str = (field, re) => {
        if (typeof e[field] !== 'string' || e[field].length === 0 || (re && !re.test(e[field])))
          throw new Error(`${where}.${field}: expected ${re ? `a string matching ${re}` : 'a non-empty string'}, got ${JSON.stringify(e[field])}`);
        return e[field];
      };
      const name = str('name', NAME);
      if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) throw new Error(`${where}.port: expected an integer 1-65535, got ${JSON.stringify(e.port)}`);
      if (typeof e.redis !== 'boolean') throw new Error(`${where}.redis: expected true or false, got ${JSON.stringify(e.redis)}`);
      if (e.inProcess !== undefined && typeof e.inProcess !== 'boolean') throw new Error(`${where}.inProcess: expected true or false when given, got ${JSON.stringify(e.inProcess)}`);
      const entry = {
        name,
        package: str('package'),
        dir: str('dir'),
        port: e.port,
        portVariable: str('portVariable', VARIABLE),
        urlVariable: str('urlVariable', VARIABLE),
        schema: str('schema'),
        bin: str('bin'),
        main: str('main'),
        server: str('server'),
        owns: str('owns'),
        inProcess: e.inProcess ?? true,
        ...(e.databaseUrlVariable !== undefined ? { databaseUrlVariable: str('databaseUrlVariable', VARIABLE) } : {}),
        redis: e.redis,
      };
      unique('name', entry.name, name);
      unique('port', entry.port, name);
      unique('variable', entry.portVariable, name);
      unique('variable', entry.urlVariable, name);
      return Object.freeze(entry);
    }),
  );
}

/** The reference subgraphs in composition order. */
const SUBGRAPHS = parseRegistry(JSON.parse(readFileSync(join(__dirname, 'registry.json'), 'utf8')));

/** @returns the entry named `name`; throws when the registry has none. */
function subgraphByName(name) {
  const entry = SUBGRAPHS.find((s) => s.name === name);
  if (!entry) throw new Error(`No reference subgraph named ${JSON.stringify(name)} (registry: ${SUBGRAPHS.map((s) => s.name).join(', ')})`);
  return entry;
}

/** @returns the absolute path of a repository-relative path such as `entry.schema`. */
function repoPath(relative) {
  return join(REPO_ROOT, relative);
}

/** @returns the subgraph's GraphQL URL on loopback at `port` (its default port when omitted). */
function loopbackUrl(entry, port = entry.port) {
  return `http://127.0.0.1:${port}/graphql`;
}

/** @returns the text of the subgraph's `schema.graphql`. */
function readSchema(entry) {
  return readFileSync(repoPath(entry.schema), 'utf8');
}

module.exports = { REPO_ROOT, SUBGRAPHS, parseRegistry, subgraphByName, repoPath, loopbackUrl, readSchema };
