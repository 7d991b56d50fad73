// The compatibility suite (helpers/compat-suite.ts) on server #1 of the matrix: one file per server
// so that the servers run in parallel with the rest of the suite.
import {compatSuite} from './helpers/compat-suite.js'

compatSuite(0)
