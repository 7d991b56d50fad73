// The ACL rules a user needs to run reshard (README "Permissions"), shared by the tests that
// run reshard as such a user. DUMP and ASKING compare copies on BUSYKEY and in recover; on the
// target, MIGRATE authenticates as the same user (AUTH2) and sends SELECT 0 and RESTORE-ASKING.
export const RESHARD_ACL: readonly string[] = [
  '~*',
  '+cluster|nodes',
  '+cluster|setslot',
  '+cluster|countkeysinslot',
  '+cluster|getkeysinslot',
  '+migrate',
  '+restore-asking',
  '+select',
  '+dump',
  '+asking',
  '+ping',
  '+dbsize',
  // the lease that keeps two runs apart (README "One run at a time")
  '+client|setname',
  '+client|list',
  // finalization reads and, when needed, raises config epochs (README "Permissions")
  '+cluster|info',
  '+cluster|bumpepoch',
]
