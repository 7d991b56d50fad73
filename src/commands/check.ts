import {EXIT_CODE_HELP} from '../errors.js'
import {readStatus} from '../operations/status.js'
import {checkView, type CheckDocument} from '../output/views/status.js'
import {BaseCommand} from '../cli/base-command.js'

export default class Check extends BaseCommand<typeof Check> {
  static override summary = 'Health verdict for scripts: exit 0 when healthy, 3 with the list of problems'
  static override description = `Healthy means: all 16384 slots covered and each served by its owner, no slot importing or migrating, every node agrees on the slot map, every node answers within --timeout, and no primary holds keys of a slot it does not own (COUNTKEYSINSLOT of every other slot, one small script per primary). A permission error is exit 3 naming the missing right, never a verdict on the cluster.

${EXIT_CODE_HELP}`
  static override examples = ['<%= config.bin %> check', '<%= config.bin %> check --json && echo healthy']

  async run(): Promise<CheckDocument> {
    // unhealthy: the problems, and exit 3
    return this.present(await readStatus(await this.connection(), {orphans: true}), checkView)
  }
}
