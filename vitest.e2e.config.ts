import { defineConfig } from "vitest/config"

// The end-to-end suite: builds the host binary once, then drives it as a user would.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["test/e2e/setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Daemons and sockets per test file; files run one at a time to keep CPU for the daemon.
    fileParallelism: false
  }
})
