// The serving defaults, apart from the modules that use them so that the CLI can show them in
// its options without loading the server (start-up time).
export const DEFAULT_TIMEOUT_SECONDS = 60;
export const DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024;
export const DEFAULT_BATCH_ROWS = 10_000;
