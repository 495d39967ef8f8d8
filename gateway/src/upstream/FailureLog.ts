import type { Logger } from 'pino';

/**
 * Rate-limited warnings about one subgraph's failures: at most `maxLines` lines per `windowMs`, so an
 * outage is a few lines, not one per request. The first line after a quiet window says how many were
 * left out (`suppressed`).
 */
export class FailureLog {
  private windowStartedAt = -Infinity;
  private lines = 0;
  private suppressed = 0;

  /**
   * @param logger - where lines go (`warn`).
   * @param maxLines - lines per window. @default 3
   * @param windowMs - window length, in ms. @default 10000
   */
  constructor(
    private readonly logger: Logger,
    private readonly maxLines = 3,
    private readonly windowMs = 10_000,
  ) {}

  /**
   * Logs one failure unless this window's lines are spent.
   * @param fields - subgraph, URL, reason, detail (the log may name hosts; clients never see it).
   * @param message - the line's message.
   */
  warn(fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    if (now - this.windowStartedAt >= this.windowMs) {
      this.windowStartedAt = now;
      this.lines = 0;
    }
    if (this.lines >= this.maxLines) {
      this.suppressed++;
      return;
    }
    this.lines++;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message);
  }
}
