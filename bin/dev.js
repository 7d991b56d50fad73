#!/usr/bin/env -S node --import tsx
import {execute} from '@oclif/core'

// Dev mode runs the TypeScript sources: the built manifest (made by `npm run build` for a fast
// start of bin/run.js) may be stale here, so it is ignored.
await execute({development: true, loadOptions: {root: new URL('..', import.meta.url).pathname, ignoreManifest: true}})
