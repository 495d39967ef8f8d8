import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { apiSchemaFromSupergraph } from '../manifest/apiSchemaFromSupergraph';
import { readLimitsSettings } from '@roam/operation-limits';
import { runManifestChecks } from '../manifest/checkManifest';
import { DEFAULT_CHECKS, type ManifestCheck } from '../manifest/checks';
import { createOperationLimitsCheck } from '../manifest/createOperationLimitsCheck';
import { describeOperation } from '../manifest/describeOperation';
import { parseManifest } from '../manifest/parseManifest';
import { MANIFEST_FORMATS, type EntryMeasurements, type EntryProblem, type Manifest, type ManifestFormat } from '../manifest/types';
import { RedisPersistedQueryStore } from '../store/RedisPersistedQueryStore';
import type { ClientScope, PersistedOperationInput, StoredOperation } from '../store/types';

/** Where the CLI writes and what it reads from the environment. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /**
   * `REDIS_URL`, `PERSISTED_QUERIES_KEY_PREFIX`, `SUPERGRAPH_PATH` and the gateway's operation limits
   * (`MAX_COST`, `MAX_DEPTH`, `MAX_ALIASES`, `MAX_ROOT_FIELDS`, `MAX_TOKENS`, `MAX_DOCUMENT_BYTES`,
   * `LIMITS_MODE`, `LIMITS_BY_CLIENT`, `COST_DEFAULT_LIST_SIZE`) are read from here.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Options of {@link runCli}. */
export interface CliOptions {
  /**
   * Checks run on every entry by `push` and `verify`, before the operation-limits check
   * ({@link createOperationLimitsCheck} with the limits of `env` and `--client-name`), which always runs.
   * @default DEFAULT_CHECKS
   */
  readonly checks?: readonly ManifestCheck[];
}

/** Exit codes of `roam-pq`: 0 done, 1 the manifest has bad entries / nothing matched, 2 usage or store error. */
export const EXIT = { ok: 0, failed: 1, error: 2 } as const;

const USAGE = `Usage: roam-pq <command> [options]
  push <manifest> [--client-name NAME] [--client-version VERSION]   check every entry, then register them all (or nothing)
  verify <manifest> [--client-name NAME]                           check every entry; writes nothing
Every entry must validate against the supergraph and stay within the gateway's operation limits
(MAX_COST, MAX_DEPTH, MAX_ALIASES, MAX_ROOT_FIELDS, MAX_TOKENS, MAX_DOCUMENT_BYTES, LIMITS_BY_CLIENT for
--client-name, COST_DEFAULT_LIST_SIZE; LIMITS_MODE=measure or off shows costs without refusing);
each operation's estimated cost is shown.
  list [--client-name NAME]                                        registered operations
  revoke <id> | revoke --client-name NAME [--client-version VERSION]
Options: --json  --format apollo|codegen|relay  --supergraph PATH (SUPERGRAPH_PATH, ./supergraph.graphql)
         --redis-url URL (REDIS_URL)  --prefix PREFIX (PERSISTED_QUERIES_KEY_PREFIX, roam:pq:)  --timeout-ms MS (5000)`;

class UsageError extends Error {}

function scopeLabel(scope: ClientScope): string {
  return scope.clientName === undefined ? 'all clients' : `client ${scope.clientName}${scope.clientVersion ? `@${scope.clientVersion}` : ''}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * `roam-pq`: push, list, revoke and verify persisted operations. Human-readable output with counts, or
 * one JSON object with `--json` (`{"ok":true|false,…}`).
 *
 * @param argv - arguments after the program name.
 * @returns the exit code ({@link EXIT}); never throws.
 */
export async function runCli(argv: readonly string[], io: CliIo, options: CliOptions = {}): Promise<number> {
  let json = argv.includes('--json');
  const out = (human: string, machine: Record<string, unknown>): void => io.stdout(json ? `${JSON.stringify(machine)}\n` : `${human}\n`);
  const fail = (code: number, message: string, extra: Record<string, unknown> = {}): number => {
    if (json) io.stdout(`${JSON.stringify({ ok: false, error: message, ...extra })}\n`);
    else io.stderr(`roam-pq: ${message}\n`);
    return code;
  };
  let store: RedisPersistedQueryStore | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        'client-name': { type: 'string' },
        'client-version': { type: 'string' },
        format: { type: 'string' },
        supergraph: { type: 'string' },
        'redis-url': { type: 'string' },
        prefix: { type: 'string' },
        'timeout-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    json = values.json === true;
    const [command, ...rest] = positionals;
    if (values.help || command === undefined) {
      io.stdout(`${USAGE}\n`);
      return command === undefined && !values.help ? EXIT.error : EXIT.ok;
    }
    const scope: ClientScope = {
      ...(values['client-name'] !== undefined ? { clientName: values['client-name'] } : {}),
      ...(values['client-version'] !== undefined ? { clientVersion: values['client-version'] } : {}),
    };
    if (scope.clientVersion !== undefined && scope.clientName === undefined) throw new UsageError('--client-version needs --client-name');
    const format = values.format as ManifestFormat | undefined;
    if (format !== undefined && !MANIFEST_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${MANIFEST_FORMATS.join(', ')}; got ${format}`);
    const timeoutMs = values['timeout-ms'] === undefined ? 5000 : Number(values['timeout-ms']);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout-ms must be a positive integer; got ${values['timeout-ms']}`);
    const openStore = async (): Promise<RedisPersistedQueryStore> => {
      const url = values['redis-url'] ?? io.env.REDIS_URL;
      if (!url) throw new UsageError('REDIS_URL (or --redis-url) is required: the gateways read persisted operations from Redis');
      store = new RedisPersistedQueryStore({ url, keyPrefix: values.prefix ?? io.env.PERSISTED_QUERIES_KEY_PREFIX ?? 'roam:pq:', timeoutMs });
      // fail fast: a refused port or unknown host is reported at once ("connection refused at host:port")
      try {
        await store.waitUntilReady(timeoutMs, { failFast: true });
      } catch (error) {
        throw new Error(`cannot reach Redis: ${(error as Error).message}`);
      }
      return store;
    };
    const readChecked = async (file: string | undefined): Promise<{ manifest: Manifest; problems: EntryProblem[]; measurements: EntryMeasurements[]; supergraph: string }> => {
      if (!file) throw new UsageError(`${command} needs a manifest file`);
      let json: unknown;
      try {
        json = JSON.parse(await readFile(file, 'utf8'));
      } catch (error) {
        throw error instanceof SyntaxError ? new Error(`${file} is not JSON: ${error.message}`) : error;
      }
      const manifest = parseManifest(json, format);
      const supergraph = resolve(values.supergraph ?? io.env.SUPERGRAPH_PATH ?? 'supergraph.graphql');
      const supergraphSdl = await readFile(supergraph, 'utf8');
      const schema = apiSchemaFromSupergraph(supergraphSdl);
      const limitsCheck = createOperationLimitsCheck({ settings: readLimitsSettings(io.env), ...(scope.clientName !== undefined ? { clientName: scope.clientName } : {}) });
      const { problems, measurements } = runManifestChecks(manifest.entries, { schema, supergraphSdl }, [...(options.checks ?? DEFAULT_CHECKS), limitsCheck]);
      return { manifest, problems, measurements, supergraph };
    };
    const costLines = (measurements: EntryMeasurements[]): string[] =>
      measurements.map((m) => `  ${m.id}${m.name ? ` (${m.name})` : ''}: cost ${m.values.cost ?? 'not estimated'} (limit ${m.values.maxCost})`);
    const reportProblems = (total: number, problems: EntryProblem[], measurements: EntryMeasurements[], wrote: boolean): number => {
      const badIds = new Set(problems.map((p) => p.id));
      const lines = problems.map((p) => `  ${p.id ?? '(manifest)'}${p.name ? ` (${p.name})` : ''}: ${p.message}`);
      const costs = measurements.length > 0 ? `\nEstimated costs:\n${costLines(measurements).join('\n')}` : '';
      return fail(EXIT.failed, `${badIds.size} of ${plural(total, 'operation')} ${badIds.size === 1 ? 'is' : 'are'} invalid${wrote ? '' : '; nothing was written'}:\n${lines.join('\n')}${costs}`, {
        operations: total,
        invalid: badIds.size,
        problems,
        measurements,
      });
    };

    switch (command) {
      case 'verify': {
        const { manifest, problems, measurements, supergraph } = await readChecked(rest[0]);
        if (problems.length > 0) return reportProblems(manifest.entries.length, problems, measurements, true);
        out(
          [`All ${plural(manifest.entries.length, 'operation')} (${manifest.format} format) are valid against ${supergraph} and within the operation limits.`, ...costLines(measurements)].join('\n'),
          { ok: true, command, format: manifest.format, operations: manifest.entries.length, measurements },
        );
        return EXIT.ok;
      }
      case 'push': {
        const { manifest, problems, measurements } = await readChecked(rest[0]);
        if (problems.length > 0) return reportProblems(manifest.entries.length, problems, measurements, false);
        const s = await openStore();
        // Apollo manifests may scope single operations; everything else goes under the command's scope.
        const groups = new Map<string, { scope: ClientScope; ops: PersistedOperationInput[] }>();
        for (const e of manifest.entries) {
          const entryScope: ClientScope = e.clientName !== undefined && scope.clientName === undefined ? { clientName: e.clientName } : scope;
          const key = JSON.stringify(entryScope);
          const group = groups.get(key) ?? { scope: entryScope, ops: [] };
          // Code Generator manifests give no name or type: take them from the document, so `list` shows what `push` printed
          const described = e.name && e.type ? {} : describeOperation(e.body);
          const name = e.name ?? described.name;
          const type = e.type ?? described.type;
          group.ops.push({ id: e.id, body: e.body, ...(name ? { name } : {}), ...(type ? { type } : {}) });
          groups.set(key, group);
        }
        let added = 0;
        let existing = 0;
        for (const group of groups.values()) {
          const r = await s.push(group.ops, group.scope);
          added += r.added;
          existing += r.existing;
        }
        out([`Pushed ${plural(added + existing, 'operation')} for ${scopeLabel(scope)}: ${added} new, ${existing} already registered.`, ...costLines(measurements)].join('\n'), {
          ok: true,
          command,
          format: manifest.format,
          operations: added + existing,
          added,
          existing,
          scope,
          measurements,
        });
        return EXIT.ok;
      }
      case 'list': {
        const s = await openStore();
        const ops: StoredOperation[] = await s.list(scope.clientName !== undefined ? { clientName: scope.clientName } : {});
        const lines = ops.map((o) => `${o.id}  ${o.type ?? '-'}  ${o.name ?? '-'}  ${o.clients.map(scopeLabel).join(', ')}`);
        out([...lines, `${plural(ops.length, 'operation')}${scope.clientName !== undefined ? ` for client ${scope.clientName}` : ''}.`].join('\n'), {
          ok: true,
          command,
          count: ops.length,
          operations: ops,
        });
        return EXIT.ok;
      }
      case 'revoke': {
        const id = rest[0];
        if (id === undefined && scope.clientName === undefined) throw new UsageError('revoke needs an id, or --client-name (with optional --client-version)');
        if (id !== undefined && scope.clientName !== undefined) throw new UsageError('revoke takes an id or --client-name (with optional --client-version), not both');
        const s = await openStore();
        const revoked = id !== undefined ? ((await s.revoke(id)) ? [id] : []) : await s.revokeClient(scope.clientName!, scope.clientVersion);
        if (revoked.length === 0)
          return fail(EXIT.failed, id !== undefined ? `no operation ${id} is registered` : `no operation is registered for ${scopeLabel(scope)}`, { command, count: 0, revoked });
        out(`Revoked ${plural(revoked.length, 'operation')}${id === undefined ? ` for ${scopeLabel(scope)}` : ''}:\n${revoked.map((r) => `  ${r}`).join('\n')}`, {
          ok: true,
          command,
          count: revoked.length,
          revoked,
        });
        return EXIT.ok;
      }
      default:
        throw new UsageError(`unknown command "${command}"\n${USAGE}`);
    }
  } catch (error) {
    return fail(EXIT.error, (error as Error).message);
  } finally {
    await store?.close();
  }
}
