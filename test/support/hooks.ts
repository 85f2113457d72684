// Loaded by mocha before any test file (see .mocharc.json).
process.env.LOG_LEVEL ??= 'silent';
