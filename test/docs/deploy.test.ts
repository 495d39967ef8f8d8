import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { SUBGRAPHS } from '@roam/subgraph-registry';
import { ROOT } from '../support/stack';

// docker-compose.yml, Dockerfile and deploy/supergraph.graphql are generated from the registry of
// reference subgraphs and the npm workspaces by `npm run generate:deploy` (scripts/deploy.js).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS script module
const { DEPLOY_FILES } = require(join(ROOT, 'scripts/deploy.js')) as { DEPLOY_FILES: Record<string, () => string> };

describe('generated deployment files are up to date', () => {
  it.each(Object.keys(DEPLOY_FILES))('%s is what `npm run generate:deploy` makes', (file) => {
    expect(readFileSync(join(ROOT, file), 'utf8')).toBe(DEPLOY_FILES[file]!());
  });

  it('docker-compose.yml has one service per registry subgraph, on its port, and the gateway waits for each', () => {
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    for (const s of SUBGRAPHS) {
      expect(compose).toContain(`  ${s.name}:\n    build: .\n    command: ["node", "${s.main}"]`);
      expect(compose).toContain(`ports: ["${s.port}:${s.port}"]`);
      expect(compose).toContain(`      ${s.name}: { condition: service_healthy }`);
    }
    const deploySupergraph = readFileSync(join(ROOT, 'deploy/supergraph.graphql'), 'utf8');
    for (const s of SUBGRAPHS) expect(deploySupergraph).toContain(`@join__graph(name: "${s.name}", url: "http://${s.name}:${s.port}/graphql")`);
  });

  it('`generate:deploy --check` passes on the committed files', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/generateDeploy.js'), '--check'], { encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
