import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeSupergraph } from '@roam/gateway';
import { ROOT, SUBGRAPH_NAMES, subgraphSdl } from '../support/stack';

describe('generated files are up to date', () => {
  it('supergraph.graphql is what `npm run compose` makes of the subgraph schemas', () => {
    const composed = composeSupergraph(SUBGRAPH_NAMES.map((name, i) => ({ name, url: `http://127.0.0.1:${4001 + i}/graphql`, sdl: subgraphSdl(name) })));
    expect(readFileSync(join(ROOT, 'supergraph.graphql'), 'utf8')).toBe(composed);
  });
});
