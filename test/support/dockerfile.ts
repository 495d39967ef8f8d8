import { readFileSync } from 'node:fs';

/** One instruction of a Dockerfile stage that the build-context test replays. */
export type DockerInstruction =
  | { readonly op: 'WORKDIR'; readonly path: string }
  | { readonly op: 'COPY'; readonly from: string | undefined; readonly sources: readonly string[]; readonly dest: string }
  | { readonly op: 'RUN'; readonly command: string }
  | { readonly op: 'ENV'; readonly vars: Readonly<Record<string, string>> }
  | { readonly op: 'CMD'; readonly argv: readonly string[] }
  | { readonly op: 'USER'; readonly user: string };

/** A `FROM` stage: its name (`AS x`) and instructions. */
export interface DockerStage {
  readonly name: string | undefined;
  readonly image: string;
  readonly instructions: DockerInstruction[];
}

/**
 * Parses the subset of Dockerfile syntax Roam's Dockerfile uses (FROM, WORKDIR, COPY [--from], RUN, ENV
 * k=v, CMD [json], USER; comments; no line continuations).
 * @throws Error naming the line of any other instruction, so the test cannot silently skip one.
 */
export function parseDockerfile(file: string): DockerStage[] {
  const stages: DockerStage[] = [];
  for (const [i, raw] of readFileSync(file, 'utf8').split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op === 'FROM') {
      const [image, as, name] = rest;
      stages.push({ image: image!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`${file}:${i + 1}: ${op} before FROM`);
    if (op === 'WORKDIR') stage.instructions.push({ op, path: args });
    else if (op === 'RUN') stage.instructions.push({ op, command: args });
    else if (op === 'USER') stage.instructions.push({ op, user: args });
    else if (op === 'CMD') stage.instructions.push({ op, argv: JSON.parse(args) as string[] });
    else if (op === 'ENV') stage.instructions.push({ op, vars: Object.fromEntries(rest.map((kv) => kv.split('=', 2) as [string, string])) });
    else if (op === 'COPY') {
      const from = rest[0]?.startsWith('--from=') ? rest.shift()!.slice('--from='.length) : undefined;
      stage.instructions.push({ op, from, sources: rest.slice(0, -1), dest: rest[rest.length - 1]! });
    } else throw new Error(`${file}:${i + 1}: instruction ${op} is not handled by the build-context test`);
  }
  return stages;
}

/**
 * @returns a predicate telling whether a context-relative path is excluded by `.dockerignore` patterns
 * (Docker's rules for what Roam uses: patterns anchored at the context root, `*` within a segment,
 * `**` any number of segments; a matching directory excludes everything under it).
 */
export function dockerIgnore(patterns: readonly string[]): (relativePath: string) => boolean {
  const regexes = patterns
    .map((p) => p.trim())
    .filter((p) => p !== '' && !p.startsWith('#'))
    .map((p) => {
      const body = p
        .replace(/^\/+/, '')
        .split('/')
        .map((seg) =>
          seg === '**'
            ? '(?:.*/)?'
            : `${seg
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]')}/`,
        )
        .join('');
      return new RegExp(`^${body.replace(/\/$/, '')}(?:/.*)?$`);
    });
  return (relativePath) => regexes.some((r) => r.test(relativePath));
}
