/** Structured logs: one JSON object per line, with a level and an event name. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: LogLevel, event: string, fields?: Record<string, unknown>): void;
}

/** LOG_LEVEL sets the threshold (default info); `write` lets tests capture lines. */
export function createLogger(
  threshold: LogLevel = (process.env.LOG_LEVEL as LogLevel) || 'info',
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const minimum = ORDER[threshold] ?? ORDER.info;
  return {
    log(level, event, fields = {}) {
      if (ORDER[level] < minimum) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }));
    },
  };
}

export const silentLogger: Logger = { log() {} };
