import { buildSchema, Kind, parse, print, type OperationDefinitionNode } from 'graphql';
import { clientLabel, GENERATED_LABEL_PREFIX, labelDefers, locateDeferred, usesDefer, withoutDeferred } from '../deferDocument';

const schema = buildSchema(`
  directive @defer(label: String, if: Boolean! = true) on FRAGMENT_SPREAD | INLINE_FRAGMENT
  interface Node { id: ID! }
  type Product implements Node { id: ID! name: String reviews: [Review] }
  type Review implements Node { id: ID! body: String }
  type Query { products: [Product] node: Node }
`);

const operationOf = (doc: ReturnType<typeof parse>): OperationDefinitionNode => doc.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;

describe('deferDocument', () => {
  it('labels only the unlabeled @defer, in document order, and returns documents without @defer as they are', () => {
    const doc = parse('{ products { id ... @defer { name } ... @defer(label: "mine") { reviews { id ... @defer { body } } } } }');
    const labeled = labelDefers(doc);
    expect(print(labeled)).toContain(`@defer(label: "${GENERATED_LABEL_PREFIX}0")`);
    expect(print(labeled)).toContain(`@defer(label: "${GENERATED_LABEL_PREFIX}1")`);
    expect(print(labeled)).toContain('@defer(label: "mine")');
    expect(labelDefers(doc)).toBe(labeled);
    const plain = parse('{ products { id } }');
    expect(labelDefers(plain)).toBe(plain);
    expect(usesDefer(plain)).toBe(false);
    expect(usesDefer(doc)).toBe(true);
    expect(clientLabel(`${GENERATED_LABEL_PREFIX}0`)).toBeUndefined();
    expect(clientLabel('mine')).toBe('mine');
  });

  it('strips deferred fragments unless their `if` is false (literal or variable)', () => {
    const doc = parse('query ($d: Boolean!) { products { id ... @defer(if: $d) { name } ... @defer(if: false) { reviews { id } } ...F @defer } } fragment F on Product { id }');
    expect(print(withoutDeferred(doc, { d: true }))).not.toContain('name');
    expect(print(withoutDeferred(doc, { d: false }))).toContain('name');
    expect(print(withoutDeferred(doc, { d: true }))).toContain('reviews');
    expect(print(withoutDeferred(doc, { d: true }))).not.toContain('...F');
  });

  it('locates a deferred fragment once per list item, through type conditions and @skip', () => {
    const doc = labelDefers(
      parse(
        'query ($s: Boolean!) { products { id ... @defer(label: "r") { reviews { id } } } node { ... on Product { ... @defer(label: "n") { name } } } skipped: products @skip(if: $s) { ... @defer(label: "x") { name } } }',
      ),
    );
    const data = { products: [{ id: '1' }, null, { id: '3' }], node: { __typename: 'Product', id: '9' }, skipped: [{ id: '1' }] };
    const op = operationOf(doc);
    expect(locateDeferred(schema, doc, op, { s: true }, data, 'r').map((i) => i.path)).toEqual([
      ['products', 0],
      ['products', 2],
    ]);
    expect(locateDeferred(schema, doc, op, { s: true }, data, 'n').map((i) => [i.path, i.type.name])).toEqual([[['node'], 'Product']]);
    expect(locateDeferred(schema, doc, op, { s: true }, { ...data, node: { __typename: 'Review', id: '2' } }, 'n')).toEqual([]);
    expect(locateDeferred(schema, doc, op, { s: true }, data, 'x')).toEqual([]);
    expect(locateDeferred(schema, doc, op, { s: false }, data, 'x').map((i) => i.path)).toEqual([['skipped', 0]]);
  });
});
