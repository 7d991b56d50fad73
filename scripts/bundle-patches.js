// Edits made to dependencies' files as scripts/bundle.js bundles them, each for start-up time or
// for the bundle to work, none changing what the code does. Each names the exact text it
// replaces: when a dependency update changes that text, the build fails (and
// test/unit/bundle-patches.test.ts, which applies every patch to the installed files).
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'

const require = createRequire(import.meta.url)
const oclifVersion = JSON.parse(readFileSync(require.resolve('@oclif/core/package.json'), 'utf8')).version

/** @type {Array<{file: RegExp, why: string, edits: Array<[string, string]>}>} */
export const patches = [
  {
    file: /@oclif[\\/]core[\\/]lib[\\/]cache\.js$/,
    why: '@oclif/core reads its own version from ../package.json next to its file, which the bundle moves: give it the value',
    edits: [["JSON.parse((0, node_fs_1.readFileSync)((0, node_path_1.join)(__dirname, '..', 'package.json'), 'utf8')).version", JSON.stringify(oclifVersion)]],
  },
  {
    // The first localeCompare in a process builds ICU's collator: 8-15 ms of every start
    // (`node -e "'a'.localeCompare('b')"`). Command ids are lowercase letters, digits, '-' and
    // ':', which sort the same by code unit (the unit test checks every id of the manifests in use).
    file: /@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/,
    why: "a plugin's commands are sorted by id with localeCompare",
    edits: [['.sort((a, b) => a.id.localeCompare(b.id));', '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));']],
  },
  {
    // V8 keeps a prototype in fast mode and copies its descriptors on every addition: adding
    // ioredis' ~600 command methods one by one to Commander.prototype took 28-40 ms of every start
    // that loads ioredis (the same loop on an empty class: 29 ms). Deleting a property first puts
    // the object in dictionary mode, where an addition costs nothing (0.9 ms); V8 makes the
    // prototype fast again, once, when it is first used. Same methods, same order.
    file: /[\\/]ioredis[\\/]built[\\/]utils[\\/]Commander\.js$/,
    why: 'ioredis adds its command methods one by one to a prototype',
    edits: [
      ['commands.forEach(function (commandName) {', 'Commander.prototype.__reshardA = 0; Commander.prototype.__reshardB = 0; delete Commander.prototype.__reshardA;\ncommands.forEach(function (commandName) {'],
      ['Commander.prototype.send_command = Commander.prototype.call;', 'Commander.prototype.send_command = Commander.prototype.call;\ndelete Commander.prototype.__reshardB;'],
    ],
  },
]

/** The text of `path` with the patch applied; throws when a text to replace is not there (once). */
export function applyPatch(patch, path, text = readFileSync(path, 'utf8')) {
  for (const [from, to] of patch.edits) {
    if (text.split(from).length !== 2) throw new Error(`${path}: expected the text to patch once (${patch.why}); the dependency changed: update scripts/bundle-patches.js`)
    text = text.replace(from, to)
  }
  return text
}
