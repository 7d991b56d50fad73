// The parts of @oclif/core the commands use. @oclif/core is CommonJS: required, not imported,
// because an import of a CommonJS file makes Node scan its source for export names first (about
// 20 ms of every start). The subpaths, not the index: the index also loads semver and every
// helper of oclif (another 20 ms).
import {createRequire} from 'node:module'

const require = createRequire(import.meta.url)

export const {Command} = require('@oclif/core/command') as typeof import('@oclif/core/command')
export const Args = require('@oclif/core/args') as typeof import('@oclif/core/args')
export const Errors = require('@oclif/core/errors') as typeof import('@oclif/core/errors')
export const Flags = require('@oclif/core/flags') as typeof import('@oclif/core/flags')
