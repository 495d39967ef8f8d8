import { formatError } from '../formatError';

describe('formatError', () => {
  it('drops stack traces and exception details, keeps code and other extensions', () => {
    expect(formatError({ message: 'boom', path: ['a'], extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'reviews', stacktrace: ['Error: boom', '    at x (y.js:1:1)'], exception: { stacktrace: ['z'] } } }))
      .toEqual({ message: 'boom', path: ['a'], extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'reviews' } });
  });
});
