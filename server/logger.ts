/**
 * The server's one logger. It takes an event name (a fixed string written in this code)
 * and numeric counts only — by its type it cannot carry message contents, topics, IP
 * addresses or anything else a client sent, so logs never leak what peers exchange.
 */

/** Numeric fields attached to a log line (counts, codes, durations). */
export type LogCounts = Readonly<Record<string, number>>;

/** Where server events go. */
export interface Logger {
  info(event: string, counts?: LogCounts): void;
  error(event: string, counts?: LogCounts): void;
}

const format = (level: string, event: string, counts?: LogCounts): string => {
  const fields = counts
    ? Object.entries(counts)
        .map(([k, v]) => ` ${k}=${v}`)
        .join('')
    : '';
  return `${new Date().toISOString()} ${level} ${event}${fields}`;
};

/** A logger writing one line per event to `write` (stdout by default). */
export function createLogger(write: (line: string) => void = (line) => process.stdout.write(line + '\n')): Logger {
  return {
    info: (event, counts) => write(format('info', event, counts)),
    error: (event, counts) => write(format('error', event, counts)),
  };
}

/** A logger that drops everything (tests that do not inspect logs). */
export const silentLogger: Logger = { info: () => {}, error: () => {} };
