// Typed errors, each with an exit code from the one table (docs/architecture.md "User contract") and a next step.
// Commands never print stack traces for these: the base command renders `message` and `hint`.
import {groupedSlots} from './output/slot-list.js'

export const EXIT = {
  OK: 0,
  UNEXPECTED: 1,
  USAGE: 2,
  PRECONDITION: 3,
  STALE_PLAN: 4,
  LEFT_OPEN: 5,
  MOVES_NEEDED: 10,
  INTERRUPTED_PROMPT: 130,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export const EXIT_CODE_TABLE: ReadonlyArray<[number, string]> = [
  [0, 'success'],
  [1, 'unexpected error'],
  [2, 'usage error (bad flag, slot, node name or plan file)'],
  [3, 'cluster precondition failed, or `check` found a problem'],
  [4, 'stale plan: the cluster changed since the plan was made'],
  [5, 'stopped with slots left open (run `reshard recover`)'],
  [10, '`rebalance --check` found moves to make'],
  [130, 'cancelled at a confirmation or question: nothing was changed'],
]

export const EXIT_CODE_HELP =
  'EXIT CODES\n' + EXIT_CODE_TABLE.map(([code, text]) => `  ${String(code).padStart(2)}  ${text}`).join('\n')

export class ReshardError extends Error {
  readonly exitCode: number
  readonly hint?: string
  /** Machine-readable error kind for --json documents. */
  readonly kind: string
  readonly details?: Record<string, unknown>
  /** What the run did before it failed (per-move outcomes): the --json document carries it. */
  document?: object

  constructor(kind: string, message: string, exitCode: number, hint?: string, details?: Record<string, unknown>) {
    super(message)
    this.name = 'ReshardError'
    this.kind = kind
    this.exitCode = exitCode
    this.hint = hint
    this.details = details
  }

  /** This error, carrying the run's document (see `document`). */
  withDocument(document: object | undefined): this {
    this.document = document
    return this
  }

  toJSON(): Record<string, unknown> {
    return {kind: this.kind, message: this.message, exitCode: this.exitCode, hint: this.hint, ...this.details}
  }
}

/** Bad input: flags, slot syntax, node names, plan files. Never changes the cluster. */
export class UsageError extends ReshardError {
  constructor(message: string, hint?: string, details?: Record<string, unknown>) {
    super('usage', message, EXIT.USAGE, hint, details)
  }
}

/** The cluster is not in a state where we may act (or `check` found a problem). */
export class PreconditionError extends ReshardError {
  constructor(kind: string, message: string, hint?: string, details?: Record<string, unknown>) {
    super(kind, message, EXIT.PRECONDITION, hint, details)
  }
}

export class SlotAlreadyMigratingError extends PreconditionError {
  constructor(slot: number, nodeLabel: string, peer: string) {
    super(
      'slot_already_migrating',
      `slot ${slot} is already MIGRATING on ${nodeLabel} (to ${peer})`,
      `another migration is in progress or was left half-done; run \`reshard recover --slot ${slot}\``,
      {slot},
    )
  }
}

export class SlotAlreadyImportingError extends PreconditionError {
  constructor(slot: number, nodeLabel: string, peer: string) {
    super(
      'slot_already_importing',
      `slot ${slot} is already IMPORTING on ${nodeLabel} (from ${peer})`,
      `another migration is in progress or was left half-done; run \`reshard recover --slot ${slot}\``,
      {slot},
    )
  }
}

export class TargetUnreachableError extends ReshardError {
  constructor(message: string, hint = 'check that the node is up and reachable') {
    super('target_unreachable', message, EXIT.LEFT_OPEN, hint)
  }
}

export class ConnectionError extends PreconditionError {
  constructor(message: string, hint?: string) {
    super('unreachable', message, hint)
  }
}

export class AuthError extends PreconditionError {
  constructor(message: string) {
    super('auth', message, 'give the password in REDISCLI_AUTH (or use --askpass) and the user with --user')
  }
}

export class StalePlanError extends ReshardError {
  constructor(message: string, differences: string[], hint = 'make a new plan with `reshard plan ...` and review it') {
    super('stale_plan', message, EXIT.STALE_PLAN, hint, {differences})
  }
}

export class InvalidTransitionError extends ReshardError {
  constructor(from: string, to: string) {
    super('invalid_state_transition', `invalid slot state transition ${from} -> ${to}`, EXIT.UNEXPECTED)
  }
}

export interface OpenSlot {
  slot: number
  state: string
  source: string
  target: string
}

/** A run stopped (failure, interruption, timeout) and slots are left open. */
export class LeftOpenError extends ReshardError {
  readonly open: OpenSlot[]
  constructor(kind: string, reason: string, open: OpenSlot[], resumeCommand?: string, firstStep?: string) {
    // one entry per run of slots in the same state: "0-202 (203 slots, streaming)"
    const list = groupedSlots(open, (o) => o.slot, (o) => o.state).join(', ')
    const message = open.length > 0 ? `${reason}; slots left open: ${list}` : reason
    const next =
      open.length > 0
        ? `run \`reshard recover\`${resumeCommand ? ` or re-run \`${resumeCommand}\`` : ''} to finish them`
        : resumeCommand
          ? `re-run \`${resumeCommand}\` to finish the remaining moves`
          : undefined
    const hint = firstStep && next ? `${firstStep}; then ${next}` : (firstStep ?? next)
    super(kind, message, EXIT.LEFT_OPEN, hint, {open})
    this.open = open
  }
}

export class AbortedError extends ReshardError {
  constructor(message = 'aborted by the user') {
    super('aborted', message, EXIT.INTERRUPTED_PROMPT)
  }
}

/** Remove anything that looks like a secret from a message we did not write ourselves. */
export function redact(text: string, secrets: Array<string | undefined>): string {
  let out = text
  for (const s of secrets) {
    if (s && s.length > 0) out = out.split(s).join('***')
  }
  return out
}

/**
 * An atomic slot migration the server refused or failed. The server rolls back on failure (the
 * source keeps every key), so nothing is left open: exit 3 with the server's own message.
 */
export class AsmError extends PreconditionError {
  constructor(message: string, hint?: string, details?: Record<string, unknown>) {
    super('asm_failed', message, hint, details)
  }
}
