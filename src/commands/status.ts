import {EXIT_CODE_HELP} from '../errors.js'
import {readStatus, type StatusDocument} from '../operations/status.js'
import {statusView} from '../output/views/status.js'
import {BaseCommand} from '../cli/base-command.js'

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Show primaries, replicas, slot and key shares, open slots and health'
  static override description = `Reads every node's own view of the cluster: primaries with their slots and keys, replicas, open (importing/migrating) slots, uncovered slots and whether every node agrees. Exits 3 (after printing) when a node does not answer within --timeout.

${EXIT_CODE_HELP}`
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status -c 10.0.0.1:6379 --json']

  async run(): Promise<StatusDocument> {
    // a node that does not answer is a verdict: the document is printed, and the exit code says so
    return this.present(await readStatus(await this.connection()), statusView)
  }
}
