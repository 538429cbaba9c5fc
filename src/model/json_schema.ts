/**
 * The version every `--json` shape carries as `schema`. Its own module so that what every
 * command loads at startup (src/cli/main.ts, output.ts) does not pull in the shapes of
 * src/model/json.ts and what they import.
 */
export const JSON_SCHEMA = 1;
