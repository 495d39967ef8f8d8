import { parse } from 'graphql';
import { operationResolutionMessage } from '../operationResolutionMessage';

describe('operationResolutionMessage (graphql-js buildExecutionContext wording)', () => {
  const two = parse('query A { a } query B { b }');
  it.each([
    ['one operation, no name', parse('{ a }'), undefined, undefined],
    ['the named operation', two, 'B', undefined],
    ['an unknown name', two, 'C', 'Unknown operation named "C".'],
    ['an empty name', parse('query A { a }'), '', 'Unknown operation named "".'],
    ['several operations, no name', two, null, 'Must provide operation name if query contains multiple operations.'],
    ['no operation', parse('fragment F on Query { a }'), undefined, 'Must provide an operation.'],
  ])('%s', (_name, document, operationName, expected) => {
    expect(operationResolutionMessage(document, operationName)).toBe(expected);
  });
});
