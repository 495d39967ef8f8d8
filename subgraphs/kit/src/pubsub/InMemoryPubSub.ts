import { compareStreamPositions, formatEventId, type EventRetention } from '@roam/redis';
import type { EventHandler, PubSub, SubscribeOptions } from './PubSub';
import { resumeGap, resumeInvalid, resumePosition } from './resumeErrors';

interface Channel {
  readonly events: { readonly position: string; readonly payload: unknown }[];
  readonly handlers: Set<EventHandler>;
  last: string;
}

/**
 * {@link PubSub} inside one process: used when `REDIS_URL` is unset (one replica, tests, `npm start`). Keeps
 * the same retention and ids (`<channel>@<ms>-<seq>`) as the Redis event log, so resume behaves alike.
 * Handlers run in a later microtask than `publish`, as they would with Redis.
 */
export class InMemoryPubSub implements PubSub {
  private readonly channels = new Map<string, Channel>();
  private lastMs = 0;
  private seq = 0;

  /** @param retention - how many events, and how old, are kept per channel. @default 10000 events, 1 hour */
  constructor(private readonly retention: EventRetention = { maxCount: 10_000, maxAgeMs: 3_600_000 }) {}

  async publish(channel: string, payload: unknown): Promise<void> {
    const c = this.channel(channel);
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.seq = 0;
    } else this.seq++;
    const position = `${this.lastMs}-${this.seq}`;
    // JSON round trip: subscribers get the same shape a Redis transport would give them.
    c.events.push({ position, payload: JSON.parse(JSON.stringify(payload)) as unknown });
    c.last = position;
    this.trim(c);
    const id = formatEventId(channel, position);
    const copy = JSON.parse(JSON.stringify(payload)) as unknown;
    for (const handler of [...c.handlers]) queueMicrotask(() => handler(copy, id));
  }

  async subscribe(channel: string, handler: EventHandler, options: SubscribeOptions = {}): Promise<() => Promise<void>> {
    const c = this.channel(channel);
    if (options.after !== undefined) {
      const after = resumePosition(channel, options.after);
      this.trim(c);
      // a stream never written here (e.g. this process restarted and lost its memory) is a gap, as a missing key is in Redis
      if (c.last === '0-0') throw resumeGap();
      if (compareStreamPositions(after, c.last) > 0) throw resumeInvalid('it is beyond the newest event of its stream');
      // the same rule as the Redis log: the id must be the newest or still retained
      if (compareStreamPositions(after, c.last) < 0 && (c.events.length === 0 || compareStreamPositions(after, c.events[0]!.position) < 0)) throw resumeGap();
      for (const e of c.events) {
        if (compareStreamPositions(e.position, after) > 0) {
          const copy = JSON.parse(JSON.stringify(e.payload)) as unknown;
          const id = formatEventId(channel, e.position);
          queueMicrotask(() => handler(copy, id));
        }
      }
    }
    c.handlers.add(handler);
    return async () => {
      c.handlers.delete(handler);
    };
  }

  async close(): Promise<void> {
    for (const c of this.channels.values()) c.handlers.clear();
  }

  private channel(name: string): Channel {
    let c = this.channels.get(name);
    if (!c) this.channels.set(name, (c = { events: [], handlers: new Set(), last: '0-0' }));
    return c;
  }

  private trim(c: Channel): void {
    const minMs = Date.now() - this.retention.maxAgeMs;
    while (c.events.length > 0 && (c.events.length > this.retention.maxCount || Number(c.events[0]!.position.split('-')[0]) < minMs)) {
      c.events.shift();
    }
  }
}
