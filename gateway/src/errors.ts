/** The gateway's view of the shared error catalogue (`@roam/errors`): codes, the typed factory and close codes. */
export * from '@roam/errors';
