import { GraphQLError } from 'graphql';
import pino from 'pino';
import { Writable } from 'node:stream';
import { formatError } from '../formatError';

describe('formatError', () => {
  it('drops stack traces and exception details, keeps code and other extensions', () => {
    expect(
      formatError({
        message: 'boom',
        path: ['a'],
        extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'reviews', stacktrace: ['Error: boom', '    at x (y.js:1:1)'], exception: { stacktrace: ['z'] } },
      }),
    ).toEqual({ message: 'boom', path: ['a'], extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'reviews' } });
  });

  it('replaces the message of an unexpected request-level error and logs the original with its stack', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const original = new TypeError("Cannot read properties of undefined (reading 'operation')");
    const wrapped = new GraphQLError(original.message, { originalError: original });
    expect(formatError({ message: original.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, wrapped, logger)).toEqual({
      message: 'Internal server error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    const entry = JSON.parse(lines[0]!) as { level: number; err: { type: string; message: string; stack: string } };
    expect(entry.level).toBe(50);
    expect(entry.err).toMatchObject({ type: 'TypeError', message: original.message });
    expect(entry.err.stack).toContain('TypeError');
  });

  it('keeps deliberate errors, field errors and subgraph errors as they are', () => {
    const deliberate = { message: 'Unknown operation named "B".', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } };
    const subgraph = { message: 'database down', extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'accounts' } };
    const field = { message: 'Cannot return null for non-nullable field User.name.', path: ['me', 'name'], extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    for (const e of [deliberate, subgraph, field]) expect(formatError(e)).toEqual(e);
  });
});
