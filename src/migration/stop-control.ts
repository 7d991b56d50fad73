// How a run is asked to stop. soft: finish the slots already opened, start no new ones
// (another pair failed). hard: stop after the batch in flight (Ctrl-C, SIGTERM). now: the second
// Ctrl-C: also skip the waits that only confirm (the verify poll); what is open stays open.
export class StopControl {
  private _level: 'none' | 'soft' | 'hard' | 'now' = 'none'
  reason?: string
  private readonly rank = {none: 0, soft: 1, hard: 2, now: 3}
  get soft(): boolean {
    return this._level !== 'none'
  }
  get hard(): boolean {
    return this._level === 'hard' || this._level === 'now'
  }
  get now(): boolean {
    return this._level === 'now'
  }
  request(level: 'soft' | 'hard' | 'now', reason: string): void {
    if (this.rank[level] > this.rank[this._level]) {
      this._level = level
      this.reason ??= reason
    }
  }
}
