/**
 * The process settings of redis.conf that FlashCache applies (src/server/daemon.ts):
 * `daemonize`, `pidfile`, `logfile`, `supervised` and Redis's `loglevel`
 * (./settings.ts spreads them into SETTINGS, which checks their shape).
 * Defaults, flags and values are Redis 7.0's (config.c).
 */

/** Redis's `loglevel` words and the pino level each means here (`nothing` silences the log). */
export const REDIS_LOG_LEVELS: Readonly<Record<string, string>> = {
  debug: 'debug',
  verbose: 'debug',
  notice: 'info',
  warning: 'warn',
  nothing: 'silent',
};

/** The rows, in `--help` order. */
export const PROCESS_SETTINGS = [
  {
    name: 'daemonize',
    type: 'bool',
    default: 'no',
    runtime: false,
    immutable: true,
    description: 'run in the background: start again detached, exit 0 once that server listens',
  },
  {
    name: 'pidfile',
    type: 'string',
    default: '',
    runtime: false,
    immutable: true,
    description: 'file to write the process ID to at start (removed at exit; "": none)',
  },
  {
    name: 'logfile',
    type: 'string',
    default: '',
    runtime: false,
    immutable: true,
    description: 'file to append log lines to ("": stdout)',
  },
  {
    name: 'supervised',
    type: 'enum',
    default: 'no',
    values: ['no', 'upstart', 'systemd', 'auto'],
    runtime: false,
    immutable: true,
    description: 'systemd (or auto with $NOTIFY_SOCKET set): tell systemd when ready (Type=notify)',
  },
  {
    name: 'loglevel',
    type: 'enum',
    default: 'notice',
    values: ['debug', 'verbose', 'notice', 'warning', 'nothing'],
    runtime: true,
    hidden: true,
    description: "Redis's log level: debug, verbose, notice (info), warning or nothing, when log-level is not set",
  },
] as const;
