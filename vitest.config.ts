import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    pool: 'forks',
    disableConsoleIntercept: true,
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration files each start their own cluster; two at a time fits a 2-core machine.
    maxWorkers: 2,
    fileParallelism: true,
  },
})
