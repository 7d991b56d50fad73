// What every reporter (bars, plain lines, NDJSON, quiet) hands back: a way to stop listening.
// Its own file so that progress.ts (which picks a reporter) and bars.ts (one of them) do not
// import each other.
export interface Reporter {
  stop(): void
}
