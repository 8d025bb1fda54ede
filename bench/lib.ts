import autocannon from 'autocannon';

/** What one autocannon run measured against one URL. */
export interface Figures {
  requestsPerSecond: number;
  /** Latency percentiles in milliseconds. */
  p50: number;
  p99: number;
  /** Bytes on the wire per response: status line, headers and body. */
  wireBytesPerResponse: number;
  /** Responses counted, and the ones that went wrong (non-2xx, connection errors, timeouts). */
  responses: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/**
 * Loads `url` with `connections` keep-alive connections for `seconds` seconds. Latency
 * percentiles come from each response's own time, since autocannon's histogram counts
 * whole milliseconds and a fast route would read 0 ms.
 */
export async function measure(url: string, seconds: number, connections = 10): Promise<Figures> {
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url, connections, duration: seconds, pipelining: 1 },
      (err: unknown, done) => {
        if (err)
          reject(err instanceof Error ? err : new Error('autocannon failed', { cause: err }));
        else resolve(done);
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => times.push(responseTime));
  });
  times.sort((a, b) => a - b);
  const responses = result.requests.total;
  return {
    requestsPerSecond: result.requests.average,
    p50: round(percentile(times, 50)),
    p99: round(percentile(times, 99)),
    wireBytesPerResponse: responses > 0 ? Math.round(result.throughput.total / responses) : 0,
    responses,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** The p-th percentile of already sorted values (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** A positive whole number from the environment (e.g. NEARBY_ROWS), or the default. */
export function countFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive whole number, not "${raw}"`);
  return value;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** True if any response in the run was not a 2xx or any connection failed. */
export function hadFailures(figures: Figures): boolean {
  return figures.non2xx > 0 || figures.errors > 0 || figures.timeouts > 0;
}

/** Of several runs, the one with the most requests per second (shared machines only ever make runs slower). */
export function best(runs: Figures[]): Figures {
  const [first, ...rest] = runs;
  if (!first) throw new Error('best() needs at least one run');
  return rest.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a), first);
}

/** A plain-text table: the first row is the header; numbers are right-aligned, text left-aligned. */
export function table(rows: (string | number)[][]): string {
  const cells = rows.map((row) =>
    row.map((cell) => (typeof cell === 'number' ? formatNumber(cell) : cell)),
  );
  const widths =
    cells[0]?.map((_, col) => Math.max(...cells.map((row) => row[col]?.length ?? 0))) ?? [];
  const line = (row: string[]) =>
    row
      .map((cell, col) => {
        const width = widths[col] ?? 0;
        return typeof rows[1]?.[col] === 'number' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ');
  const [header, ...body] = cells;
  return [line(header ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join(
    '\n',
  );
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-GB');
  return n.toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** A positive number of seconds from the environment, or the default. */
export function secondsFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number of seconds, not "${raw}"`);
  return value;
}

/** Runs a benchmark's main(): its answer is the exit code, and a crash prints and exits 1. */
export function run(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
