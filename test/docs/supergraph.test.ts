import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeSupergraph } from '@roam/gateway';
import { loopbackUrl, readSchema, SUBGRAPHS } from '@roam/subgraph-registry';
import { ROOT } from '../support/stack';

describe('generated files are up to date', () => {
  it("supergraph.graphql is what composing the registry's subgraphs at their default URLs makes", () => {
    const composed = composeSupergraph(SUBGRAPHS.map((s) => ({ name: s.name, url: loopbackUrl(s), sdl: readSchema(s) })));
    expect(readFileSync(join(ROOT, 'supergraph.graphql'), 'utf8')).toBe(composed);
  });

  it('`npm run compose` without variables writes exactly the tracked supergraph.graphql', () => {
    // --out keeps the tracked file untouched by the test; the URLs are the ones compose derives itself
    const out = join(mkdtempSync(join(tmpdir(), 'roam-compose-')), 'supergraph.graphql');
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const s of SUBGRAPHS) {
      delete env[s.portVariable];
      delete env[s.urlVariable];
    }
    delete env.SUPERGRAPH_PATH;
    const r = spawnSync(process.execPath, [join(ROOT, 'gateway/dist/compose/cli.js'), '--out', out], { env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(ROOT, 'supergraph.graphql'), 'utf8'));
  });
});
