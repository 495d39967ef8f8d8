import { HeaderMap } from '@apollo/server';
import type { IncomingHttpHeaders } from 'node:http';

/** @returns Apollo Server's `HeaderMap` (lower-cased names, repeated headers joined by ", ") of Node's request headers. */
export function toHeaderMap(headers: IncomingHttpHeaders): HeaderMap {
  const map = new HeaderMap();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    map.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return map;
}
