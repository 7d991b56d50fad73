// How a run is asked to stop. soft: finish the slots already opened, start no new ones
// (another pair failed). hard: stop after the batch in flight (Ctrl-C, SIGTERM).
export class StopControl {
  private _level: 'none' | 'soft' | 'hard' = 'none'
  reason?: string
  get soft(): boolean {
    return this._level !== 'none'
  }
  get hard(): boolean {
    return this._level === 'hard'
  }
  request(level: 'soft' | 'hard', reason: string): void {
    if (level === 'hard' || this._level === 'none') {
      this._level = level
      this.reason ??= reason
    }
  }
}
