import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { freePort, waitFor } from '@roam/testkit';
import { SUBGRAPHS } from '@roam/subgraph-registry';
import { ROOT } from '../support/stack';
import { dockerIgnore, parseDockerfile, type DockerStage } from '../support/dockerfile';

// Issue 15: the Docker image did not build (the Dockerfile did not copy every workspace the TypeScript
// build references). There is no Docker engine here, so this test replays the Dockerfile: it parses its
// FROM/WORKDIR/COPY/RUN/ENV/CMD lines, copies exactly what each COPY names from the build context
// (the repository, minus .dockerignore) into a temp dir standing for /app, runs each RUN command there,
// then starts the image's CMD (the gateway) and each subgraph's docker-compose command from it.
// One substitution, for network time: `npm ci` is replaced by hard-linking the repository's
// node_modules folders (what `npm ci` of the same package-lock.json installs) into the copy; the
// build (`npm run build`) and `npm prune --omit=dev` run for real.

const ignored = dockerIgnore(readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n'));

function copyFromContext(source: string, dest: string): void {
  const from = join(ROOT, source);
  if (!existsSync(from)) throw new Error(`COPY ${source}: not in the build context`);
  if (ignored(source)) throw new Error(`COPY ${source}: excluded by .dockerignore`);
  const target = dest.endsWith('/') && statSync(from).isFile() ? join(dest, source.split('/').pop()!) : dest;
  mkdirSync(statSync(from).isDirectory() ? target : join(target, '..'), { recursive: true });
  cpSync(from, target, { recursive: true, filter: (src) => !ignored(relative(ROOT, src)) });
}

/** What `npm ci` would install: every node_modules folder of the repository (root and workspaces), hard-linked. */
function installLikeNpmCi(app: string): void {
  const folders = ['node_modules', ...JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).workspaces.map((w: string) => join(w, 'node_modules'))].filter((f: string) =>
    existsSync(join(ROOT, f)),
  );
  for (const folder of folders) execFileSync('nice', ['-n', '19', 'cp', '-al', join(ROOT, folder), join(app, folder)]);
  // npm rewrites this file in place: give the copy its own inode so the repository's stays untouched
  const lock = join(app, 'node_modules', '.package-lock.json');
  if (existsSync(lock)) {
    unlinkSync(lock);
    copyFileSync(join(ROOT, 'node_modules', '.package-lock.json'), lock);
  }
}

/** Starts `node <args>` in `cwd` (the image's WORKDIR) and waits until `healthUrl` answers 200. */
async function startIn(cwd: string, args: readonly string[], env: Record<string, string>, healthUrl: string, started: ChildProcess[]): Promise<void> {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`node ${args.join(' ')} exited ${child.exitCode}: ${out}`);
      return (await fetch(healthUrl).catch(() => undefined))?.status === 200;
    },
    `node ${args.join(' ')} to answer ${healthUrl} (output so far: ${out})`,
    60_000,
    100,
  );
}

describe('Docker image (Dockerfile replayed without a Docker engine)', () => {
  let stages: DockerStage[];
  let app: string;
  const started: ChildProcess[] = [];
  beforeAll(() => {
    stages = parseDockerfile(join(ROOT, 'Dockerfile'));
    app = join(mkdtempSync(join(tmpdir(), 'roam-docker-')), 'app');
  });
  afterAll(async () => {
    await Promise.all(
      started.map((c) =>
        c.exitCode !== null || c.signalCode !== null
          ? undefined
          : new Promise((resolve) => {
              c.once('exit', resolve);
              c.kill('SIGTERM');
            }),
      ),
    );
    if (app) rmSync(join(app, '..'), { recursive: true, force: true });
  });

  it('copies every npm workspace and every project tsconfig.build.json references', () => {
    const copied = stages[0]!.instructions.flatMap((i) => (i.op === 'COPY' && !i.from ? i.sources : []));
    const workspaces: string[] = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).workspaces;
    const references: string[] = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')).references.map((r: { path: string }) => r.path);
    const covered = (path: string) => copied.some((source) => source === '.' || source === path || path.startsWith(`${source.replace(/\/$/, '')}/`));
    for (const needed of [...workspaces, ...references, 'package-lock.json', 'tsconfig.build.json']) expect({ needed, copied: covered(needed) }).toEqual({ needed, copied: true });
  });

  it("builds from exactly what the COPY lines copy, then serves /health from the image's CMD and each subgraph", async () => {
    const [build, final] = stages as [DockerStage, DockerStage];
    let workdir = '/';
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
    delete env.NODE_ENV; // jest sets it to "test"; the build stage has none
    const local = (path: string) => join(app, relative('/app', isAbsolute(path) ? path : join(workdir, path)));
    for (const step of build.instructions) {
      if (step.op === 'WORKDIR') workdir = step.path;
      else if (step.op === 'COPY') for (const source of step.sources) copyFromContext(source, local(step.dest) + (step.dest.endsWith('/') ? '/' : ''));
      else if (step.op === 'RUN') {
        for (const command of step.command.split('&&').map((c) => c.trim())) {
          if (/^npm ci\b/.test(command)) installLikeNpmCi(local('.'));
          // at the lowest CPU priority: a full build from scratch must not starve the timing-sensitive tests running beside it
          else execFileSync('nice', ['-n', '19', 'sh', '-c', command], { cwd: local('.'), env, stdio: 'pipe', timeout: 600_000 });
        }
      } else if (step.op === 'ENV') Object.assign(env, step.vars);
    }
    expect(readdirSync(local('.')).sort()).toEqual(expect.arrayContaining(['gateway', 'subgraphs', 'node_modules', 'package.json']));
    // final stage: COPY --from=build /app /app is the same folder; the rest is replayed
    let cmd: readonly string[] = [];
    const runEnv: Record<string, string> = {};
    for (const step of final.instructions) {
      if (step.op === 'WORKDIR') workdir = step.path;
      else if (step.op === 'COPY' && step.from === undefined) for (const source of step.sources) copyFromContext(source, local(step.dest));
      else if (step.op === 'COPY') expect({ from: step.from, sources: step.sources, dest: step.dest }).toEqual({ from: build.name, sources: ['/app'], dest: '/app' });
      else if (step.op === 'ENV') Object.assign(runEnv, step.vars);
      else if (step.op === 'CMD') cmd = step.argv;
      else if (step.op === 'RUN') throw new Error(`final stage RUN ${step.command} is not replayed by this test`);
    }
    expect(cmd[0]).toBe('node');
    // HOST stays on loopback here (the image says 0.0.0.0); the port is a free one.
    const gatewayPort = await freePort();
    const childEnv = (port: number) => ({ ...runEnv, PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' });
    await startIn(local('.'), cmd.slice(1), childEnv(gatewayPort), `http://127.0.0.1:${gatewayPort}/health`, started);
    for (const s of SUBGRAPHS) {
      const port = await freePort();
      // docker-compose.yml runs each subgraph as `node <entry.main>` from the same image
      await startIn(local('.'), [s.main], childEnv(port), `http://127.0.0.1:${port}/health`, started);
    }
    expect(existsSync(local('supergraph.graphql'))).toBe(true);
    // the pruned image has no dev dependencies (typescript is one)
    expect(existsSync(local('node_modules/typescript'))).toBe(false);
  }, 600_000);
});
