/**
 * A fresh clone joining by itself (docs/sync.md "A fresh clone"): its tracked config.json says
 * schema 2 with a hint `{remote, ref}`, and it has no sync.json yet. `track sync` then sets sync
 * up exactly as `track remote add <remote> --ref <ref>` would (adopting the remote's state), but
 * only when the hint names a remote NAME configured in this clone and a ref under refs/track/:
 * a cloned repository can never send tickets to a URL of its choosing or onto a code branch.
 */
import { MAX_SCHEMA, type Store } from "../store/store.ts";
import { joinableHint } from "../store/sync_hint.ts";
import { unjoinedError } from "../store/sync_config.ts";
import { addRemote, type AddResult, type RemoteOptions } from "./remote.ts";

/**
 * Whether `store` is an unjoined clone (config.json schema 2, sync off here): then joins through
 * the hint and returns what `remote add` did; otherwise null (nothing done, no git run). A hint
 * that may not be acted on is exit 4 saying why, with nothing changed.
 */
export async function joinFromHint(
  store: Store,
  options: RemoteOptions,
): Promise<AddResult | null> {
  if (store.synced) return null;
  const { raw } = store.checkConfig({ unjoined: true });
  if (raw.schema !== MAX_SCHEMA) return null;
  const commonDir = store.home?.paths.commonDir ?? null;
  if (commonDir === null) throw unjoinedError(store.trackDir, raw, null);
  const hint = joinableHint(store.trackDir, commonDir);
  return await addRemote(store, { ...hint, join: true }, options);
}
