// `reshard status` and `reshard check`: one status read, shown as the cluster map or as a verdict.
import {EXIT} from '../../errors.js'
import type {StatusDocument} from '../../operations/status.js'
import {paint} from '../colour.js'
import {renderStatus} from '../tables.js'
import type {View} from './view.js'

export {renderStatus} from '../tables.js'

/** The cluster map; a node that does not answer is exit 3 (after the map is printed). */
export const statusView: View<StatusDocument> = {
  human: (doc) => renderStatus(doc),
  exitCode: (doc) => (doc.unreachable.length > 0 ? EXIT.PRECONDITION : 0),
}

export interface CheckDocument {
  ok: boolean
  problems: string[]
}

/** The health verdict: exit 0 and one line when healthy, else exit 3 and one line per problem. */
export const checkView: View<StatusDocument, CheckDocument> = {
  human: (doc) =>
    doc.healthy
      ? paint.green(`OK: ${doc.primaries.length} primaries, all 16384 slots covered, no open slot, all nodes agree`)
      : doc.problems.map((p) => `${paint.red('✗')} ${p}`).join('\n'),
  exitCode: (doc) => (doc.healthy ? 0 : EXIT.PRECONDITION),
  document: (doc) => (doc.healthy ? {ok: true, problems: []} : {ok: false, problems: doc.problems}),
}
