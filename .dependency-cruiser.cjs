// Layer rules of docs/architecture.md (DESIGN.md §3), checked by `npm run lint`.
const layer = (name) => `^src/${name}/`
module.exports = {
  forbidden: [
    {
      name: 'pure-models-import-no-io',
      comment: 'topology/ and planner/ are pure: no I/O, no other layer of ours, no node: modules',
      severity: 'error',
      from: {path: '^src/(topology|planner)/'},
      to: {path: '^src/(cluster|migration|operations|commands|cli|output|prompts|sandbox|events)/|^(node:)?(fs|net|child_process|tls|http|https|os)$|ioredis'},
    },
    {
      name: 'cluster-stays-below-the-engine',
      comment: 'cluster/ (I/O to the nodes) imports no engine, output, prompt, sandbox, command or operation',
      severity: 'error',
      from: {path: '^src/cluster/'},
      to: {path: '^src/(migration|operations|commands|cli|output|prompts|sandbox)/'},
    },
    {
      name: 'events-import-nothing-above',
      comment: 'events/ is the closed list of events: it imports only pure models',
      severity: 'error',
      from: {path: '^src/events/'},
      to: {path: '^src/(cluster|migration|operations|commands|cli|output|prompts|sandbox)/'},
    },
    {
      name: 'engine-never-prints-or-prompts',
      comment: 'migration/ reports through events only',
      severity: 'error',
      from: {path: '^src/migration/'},
      to: {path: '^src/(operations|commands|cli|output|prompts|sandbox)/|@inquirer|cli-progress|chalk'},
    },
    {
      name: 'operations-print-nothing',
      comment: 'operations/ return typed data: no commands, no reporters, no prompts',
      severity: 'error',
      from: {path: '^src/operations/'},
      to: {path: '^src/(commands|cli|prompts)/|@inquirer|cli-progress|chalk'},
    },
    {
      name: 'commands-do-not-import-commands',
      comment: 'shared flags and helpers live in cli/',
      severity: 'error',
      from: {path: '^src/commands/'},
      to: {path: '^src/commands/', pathNot: '$1'},
    },
    {name: 'no-circular', severity: 'error', from: {path: '^src/'}, to: {circular: true}},
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    tsConfig: {fileName: 'tsconfig.json'},
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {extensions: ['.ts', '.js']},
  },
}
