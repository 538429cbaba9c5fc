import { assertEquals } from "../../tests/assert.ts";
import { fsTypeOf, networkFsType } from "./fs_type.ts";

const MOUNTS = [
  "/dev/vda / ext4 rw 0 0",
  "server:/export /mnt/nfs nfs4 rw 0 0",
  "me@host:/x /home/me/remote\\040dir fuse.sshfs rw 0 0",
  "tmpfs /mnt/nfsx tmpfs rw 0 0",
].join("\n");

Deno.test("fsTypeOf() picks the longest mount point holding the path", () => {
  assertEquals(fsTypeOf("/srv/app/.track", MOUNTS), "ext4");
  assertEquals(fsTypeOf("/mnt/nfs/app/.track", MOUNTS), "nfs4");
  assertEquals(fsTypeOf("/mnt/nfsx/.track", MOUNTS), "tmpfs");
  assertEquals(fsTypeOf("/home/me/remote dir/.track", MOUNTS), "fuse.sshfs");
});

Deno.test("networkFsType() says nothing for a local temp directory", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assertEquals(networkFsType(dir), null);
  } finally {
    Deno.removeSync(dir);
  }
});
