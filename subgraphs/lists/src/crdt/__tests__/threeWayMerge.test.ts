import { threeWayMerge } from '../threeWayMerge';

const base = 'eggs\nmilk\nbread\n';

describe('threeWayMerge', () => {
  it('takes the only side that changed', () => {
    expect(threeWayMerge(base, base, 'eggs\noat milk\nbread\n')).toEqual({ kind: 'merged', text: 'eggs\noat milk\nbread\n' });
    expect(threeWayMerge(base, 'eggs\noat milk\nbread\n', base)).toEqual({ kind: 'merged', text: 'eggs\noat milk\nbread\n' });
  });

  it('merges edits of different lines', () => {
    expect(threeWayMerge(base, '6 eggs\nmilk\nbread\n', 'eggs\nmilk\nrye bread\n')).toEqual({ kind: 'merged', text: '6 eggs\nmilk\nrye bread\n' });
  });

  it('merges an insertion with an edit elsewhere', () => {
    expect(threeWayMerge(base, 'eggs\nmilk\nbread\nbutter\n', '12 eggs\nmilk\nbread\n')).toEqual({ kind: 'merged', text: '12 eggs\nmilk\nbread\nbutter\n' });
  });

  it('accepts the same change made on both sides', () => {
    expect(threeWayMerge(base, 'eggs\nmilk\n', 'eggs\nmilk\n')).toEqual({ kind: 'merged', text: 'eggs\nmilk\n' });
  });

  it('reports overlapping edits as a conflict with both sides', () => {
    expect(threeWayMerge(base, 'eggs\nskim milk\nbread\n', 'eggs\nwhole milk\nbread\n')).toEqual({ kind: 'conflict', ours: 'eggs\nskim milk\nbread\n', theirs: 'eggs\nwhole milk\nbread\n' });
  });

  it('reports a delete against an edit of the same line as a conflict', () => {
    expect(threeWayMerge(base, 'eggs\nbread\n', 'eggs\nwhole milk\nbread\n').kind).toBe('conflict');
  });

  it('merges into and from an empty note', () => {
    expect(threeWayMerge('', '', 'hello')).toEqual({ kind: 'merged', text: 'hello' });
    expect(threeWayMerge('hello', '', 'hello')).toEqual({ kind: 'merged', text: '' });
  });
});
