// `reshard recover`: what was found is printed before the confirmation (describeFound,
// describeTasks); the steps as they run are the reporters'; this view adds the closing lines.
import type {RecoverDocument} from '../../operations/recover.js'
import {paint} from '../colour.js'
import {slotSummary} from '../slot-list.js'
import {lines, type View} from './view.js'

export {describeFound, describeTasks} from '../recover-render.js'

export const recoverView: View<RecoverDocument> = {
  human: (doc) =>
    lines(
      doc.tasks.length > 0 && paint.green(`${doc.dryRun ? 'dry run: would cancel' : 'cancelled'} ${doc.tasks.length} atomic migration task(s)`),
      doc.slots.length === 0 && doc.tasks.length === 0 && paint.green('nothing to recover: no open slot, no orphaned key, no uncovered slot'),
      doc.slots.length > 0 && paint.green(`${doc.dryRun ? 'dry run: would repair' : 'repaired'} ${slotSummary(doc.slots.map((x) => x.slot))}`),
    ),
}
