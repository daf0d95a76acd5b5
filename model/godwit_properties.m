-- godwit model, part 4 of 4: the invariants and the cover properties (see
-- godwit_state.m).

---------------------------------------------------------------- invariants

-- godwit never writes the source while it is active: before the cutover
-- only the writers do (and again after a rollback).
invariant "source not written by godwit before cutover"
  !wrote_src_active;

-- ... nor the destination once it is active.
invariant "destination not written by godwit while active"
  !wrote_dst_active;

-- The active table reflects every acknowledged write, at every moment: in
-- particular, right after a flip the newly active table has every write
-- acknowledged before it (and godwit's own writes never undo one).
invariant "active table has every acknowledged write"
  forall k : KeyT do
    (pointer = SRC -> src[k] = ack[k])
    & (pointer = DST -> forall j : ValT do dst[P(k)][j] = InUp(ack[k], j) end)
  end;

-- No lost write: once sync has caught up, every item of the synced-from
-- table has its image in the synced-to table (forward: the row up(v) for
-- each source item; reverse: the source item down(row) for each
-- destination row).
invariant "no lost write"
  (FwdCaughtUp() -> forall k : KeyT do DstHasUp(k) end)
  & (RevCaughtUp() -> forall k : KeyT do
       (DownOf(k) != 0 -> src[k] = DownOf(k)) end);

-- No resurrected delete: once caught up, a deleted item has no image.
invariant "no resurrected delete"
  (FwdCaughtUp() -> forall k : KeyT do src[k] = 0 -> !HasRows(P(k)) end)
  & (RevCaughtUp() -> forall k : KeyT do DownOf(k) = 0 -> src[k] = 0 end);

-- No stale image: once caught up, the destination holds no image of an
-- older value (the row of an old image was deleted). With the two above:
-- caught up, destination = up(source).
invariant "no stale image"
  FwdCaughtUp() -> forall k : KeyT do DstIsUp(k) end;

---------------------------------------------------------------- coverage

-- Each must be reached, or the check fails: a model that passes without
-- reaching them would prove little. (A run of one instance, INSTANCES = 1,
-- misses those of the features it leaves out.)
cover "caught up after a crash"
  crashes > 0 & FwdCaughtUp();

cover "caught up after two crashes"
  crashes = 2 & FwdCaughtUp();

cover "a child shard's record journaled"
  exists j : 1..MAXREC do
    j <= jlen & jn[j] != 0 & Parent(SRC, st[SRC].r[jn[j]].sh) != 0
  end;

cover "records of both split children journaled"
  ((exists j : 1..MAXREC do j <= jlen & jn[j] != 0 & st[SRC].r[jn[j]].sh = 4 end)
     & (exists j : 1..MAXREC do j <= jlen & jn[j] != 0 & st[SRC].r[jn[j]].sh = 5 end));

cover "a destination child shard's record to reverse-sync"
  exists i : 1..MAXREC do i <= st[DST].len & st[DST].r[i].sh = 3 end;

cover "replay deleted the row of an old image of a present item"
  rowdel & FwdCaughtUp();

cover "replay deleted one row of a fan-out and kept the other"
  inst.fanout & rowdel & FwdCaughtUp()
  & exists k : KeyT do src[k] = 1 end;

cover "reverse sync caught up on the active destination"
  RevCaughtUp();

cover "rolled back to the source"
  rolled & pointer = SRC;

cover "cut over again after a rollback"
  rolled & pointer = DST;
