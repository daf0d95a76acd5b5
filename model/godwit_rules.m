-- godwit model, part 3 of 4: the start states and the rules (see
-- godwit_state.m).

---------------------------------------------------------------- start

ruleset i : 1..INSTANCES; v1 : Val0; v2 : Val0 do
startstate "start"
begin
  -- The instance.
  if i = 1 then
    inst.split := SPLIT = 1; inst.dstroll := DSTROLL = 1;
    inst.fanout := FANOUT = 1; inst.reverse := REVERSE = 1;
    inst.initial := INITIAL; inst.maxw := MAXW; inst.maxcrash := MAXCRASH;
  elsif i = 2 then  -- shards
    inst.split := true; inst.dstroll := true;
    inst.fanout := false; inst.reverse := true;
    inst.initial := 1; inst.maxw := 2; inst.maxcrash := 2;
  else              -- transforms
    inst.split := false; inst.dstroll := false;
    inst.fanout := true; inst.reverse := false;
    inst.initial := 0; inst.maxw := 2; inst.maxcrash := 1;
  end;
  assert "a fan-out is checked forward only" !inst.fanout | !inst.reverse;
  -- The source holds any items (or every item holds inst.initial); the run
  -- has marked P0 = 0 (the stream's head) before its first scan read. The
  -- destination is empty.
  for k : KeyT do
    src[k] := 0;
    for v : ValT do dst[k][v] := false; end;
    bf[k].step := BF_IDLE; bf[k].v := 0;
  end;
  src[1] := v1;
  if K >= 2 then src[2] := v2; end;
  if inst.initial != 0 then
    for k : KeyT do src[k] := inst.initial; end;  -- the start states coincide
  end;
  for k : KeyT do ack[k] := src[k]; end;
  for t : Tab do
    st[t].len := 0;
    for i : 1..MAXREC do
      ClearRec(st[t].r[i]);
    end;
    for s : ShardT do
      if InTopology(t, s) & Parent(t, s) = 0 then
        st[t].shs[s] := OPEN;
      else
        st[t].shs[s] := NOTYET;
      end;
    end;
  end;
  pointer := SRC;
  dst_stream := false;
  mem.phase := BACKFILL;
  for s : ShardT do mem.cpos[s] := 0; mem.rv[s] := 0; rpos[s] := 0; pend[s] := 0; end;
  mem.jofs := 0; mem.rp := 0;
  for k : KeyT do mem.seg[k] := false; end;
  ck := mem;
  for i : 1..MAXREC do jn[i] := 0; end;
  jlen := 0; jpub := 0; pending := false;
  flip := IDLE;
  writes := 0; crashes := 0;
  wrote_src_active := false; wrote_dst_active := false; rolled := false; rowdel := false;
  Normalize();
end;
end;

---------------------------------------------------------------- the world

-- An application write of value v (0: delete) to logical item k, through
-- the router: on the active table, in its shape, never while a flip holds
-- writes. On the destination, an item moves by a delete and then a put
-- (a key attribute cannot be updated), so a write there either inserts or
-- deletes one row.
ruleset k : KeyT; v : Val0 do
rule "write"
  flip = IDLE & writes < inst.maxw & v != ack[k] & st[pointer].len < MAXREC
  & (pointer = SRC | ack[k] = 0 | v = 0)
==>
begin
  writes := writes + 1;
  if pointer = SRC then
    Append(SRC, k, src[k], v);
    src[k] := v;
  else
    if v = 0 then
      dst[P(k)][ack[k]] := false;
      Append(DST, P(k), ack[k], 0);
    else
      dst[P(k)][v] := true;
      Append(DST, P(k), 0, v);
    end;
  end;
  ack[k] := v;
  Normalize();
end;
end;

-- A shard closes (about every 4 hours on DynamoDB); its children open with
-- a parent link and take its keys' later records.
ruleset t : Tab; s : ShardT do
rule "rollover"
  st[t].shs[s] = OPEN & HasChildren(t, s)
==>
begin
  st[t].shs[s] := CLOSED;
  for c : ShardT do
    if Parent(t, c) = s then st[t].shs[c] := OPEN; end;
  end;
  Normalize();
end;
end;

-- godwit dies (kill -9) and is resumed from its durable state: the last
-- checkpoint, the journal truncated to the checkpoint's offset, and the
-- pointer, which is the truth about which table is active (Init, Plan).
rule "crash and resume"
  crashes < inst.maxcrash
==>
var g : Seq;
begin
  crashes := crashes + 1;
  mem := ck;
  jlen := ck.jofs; jpub := ck.jofs;
  for i : 1..MAXREC do if i > jlen then jn[i] := 0; end; end;
  if MUTANT = M_GLOBAL_POSITION then
    -- one number: every shard resumes after the largest sequence captured
    g := 0;
    for s : ShardT do if ck.cpos[s] > g then g := ck.cpos[s]; end; end;
    for s : ShardT do rpos[s] := g; mem.cpos[s] := g; end;
  else
    for s : ShardT do rpos[s] := ck.cpos[s]; end;
  end;
  for s : ShardT do pend[s] := 0; end;
  pending := false;
  for k : KeyT do bf[k].step := BF_IDLE; bf[k].v := 0; end;
  flip := IDLE;  -- the hold dies with the process
  if MUTANT != M_RESUME_TRUSTS_STATE then
    if pointer = DST then
      mem.phase := CUTOVER;
    elsif mem.phase = CUTOVER then
      mem.phase := REPLAY;
    end;
  end;
  ck := mem;     -- Init saves the state it resumed with
  Normalize();
end;

---------------------------------------------------------------- capture

-- The capture reader takes the next record of one shard (one reader per
-- shard; pages of one record; any interleaving of shards) into the
-- journal. A child shard is read only once its parent is finished. The
-- record is synced at once and the in-memory state takes the positions that
-- go with it, so replay may read it; it is durable once a checkpoint saves
-- them (an unsynced tail is a synced record not yet checkpointed: a crash
-- loses both alike; docs/model.md). In M_REPLAY_PAST_DURABLE, as engine.cc's
-- CaptureStep does today, sync moves replay's limit first and the positions
-- follow in a later step.
ruleset s : ShardT do
rule "capture read"
  ForwardOn() & jlen < MAXREC
  & st[SRC].shs[s] != NOTYET & NextRec(SRC, s, rpos[s]) != 0
  & (MUTANT = M_CHILD_BEFORE_PARENT | Parent(SRC, s) = 0
     | Finished(SRC, Parent(SRC, s), rpos[Parent(SRC, s)]))
==>
var q : Seq;
begin
  q := NextRec(SRC, s, rpos[s]);
  jlen := jlen + 1;
  jn[jlen] := q;
  rpos[s] := q;
  if MUTANT != M_REPLAY_PAST_DURABLE then
    jpub := jlen;
    mem.jofs := jlen;
    for s2 : ShardT do mem.cpos[s2] := rpos[s2]; end;
  end;
  Normalize();
end;
end;

rule "capture sync"
  MUTANT = M_REPLAY_PAST_DURABLE & jlen > jpub & !pending
==>
begin
  jpub := jlen;
  for s : ShardT do pend[s] := rpos[s]; end;
  pending := true;
  Normalize();
end;

rule "capture publish"
  pending
==>
begin
  mem.jofs := jpub;
  for s : ShardT do mem.cpos[s] := pend[s]; pend[s] := 0; end;
  pending := false;
  Normalize();
end;

-- The keeper saves the in-memory state (one put).
rule "checkpoint"
  CkLive() & ck != mem
==>
begin
  ck := mem;
  Normalize();
end;

---------------------------------------------------------------- backfill

-- A segment's scan reads the item as it is now (no snapshot, writers keep
-- writing) ...
ruleset k : KeyT do
rule "backfill read"
  mem.phase = BACKFILL & !mem.seg[k] & bf[k].step = BF_IDLE
==>
begin
  bf[k].step := BF_READ;
  bf[k].v := src[k];
  if MUTANT = M_SEGMENT_DONE_AT_READ then SegmentDone(k); end;
  Normalize();
end;

-- ... and writes up(item); only once the write is acknowledged does the
-- segment's checkpoint move past it.
rule "backfill write"
  bf[k].step = BF_READ & st[DST].len + V <= MAXREC
==>
begin
  for j : ValT do
    if InUp(bf[k].v, j) then GodwitWritesDst(P(k), j, true); end;
  end;
  bf[k].step := BF_IDLE;
  bf[k].v := 0;
  if MUTANT != M_SEGMENT_DONE_AT_READ then SegmentDone(k); end;
  Normalize();
end;
end;

---------------------------------------------------------------- replay

-- Once every segment is done, replay applies the journal in order, up to
-- what capture published; the offset moves past a record once it is
-- applied (one record a step: see docs/model.md on batches).
rule "replay"
  ForwardOn()
  & (mem.phase != BACKFILL | MUTANT = M_REPLAY_DURING_BACKFILL)
  & mem.rp < jpub & mem.rp < jlen
  & st[DST].len + 2 * V <= MAXREC  -- room for its destination records
==>
begin
  ApplyForward(st[SRC].r[jn[mem.rp + 1]]);
  mem.rp := mem.rp + 1;
  Normalize();
end;

-- verify (the local store's exact verify): hold sync at Q once it applied
-- every record up to Q, compare up(source) with the destination (or, cut
-- over, down(destination) with the source). In the model any caught-up
-- moment is such a Q; the comparison changes nothing. (It asserts what the
-- caught-up invariants below state, so those fail first.)
rule "verify"
  flip = IDLE & (FwdCaughtUp() | RevCaughtUp())
==>
begin
  if FwdCaughtUp() then
    assert "verify finds no difference" forall k : KeyT do DstIsUp(k) end;
  else
    assert "verify finds no difference" forall k : KeyT do DownOf(k) = src[k] end;
  end;
  Normalize();
end;

---------------------------------------------------------------- reverse sync

-- After a cutover, one reader per destination shard (parents first)
-- applies the destination's changes through down to the source.
ruleset s : ShardT do
rule "reverse sync"
  inst.reverse
  & (mem.phase = CUTOVER | (MUTANT = M_REVERSE_AFTER_ROLLBACK & mem.phase = ROLLEDBACK))
  & st[SRC].len < MAXREC
  & st[DST].shs[s] != NOTYET & NextRec(DST, s, mem.rv[s]) != 0
  & (Parent(DST, s) = 0 | Finished(DST, Parent(DST, s), mem.rv[Parent(DST, s)]))
==>
var q : Seq;
begin
  q := NextRec(DST, s, mem.rv[s]);
  ApplyReverse(st[DST].r[q]);
  mem.rv[s] := q;
  Normalize();
end;
end;

---------------------------------------------------------------- flips

-- Cutover: hold the writes to the logical table ...
rule "cutover: hold writes"
  inst.reverse & flip = IDLE & (mem.phase = REPLAY | mem.phase = ROLLEDBACK)
==>
begin
  dst_stream := true;  -- UpdateStream(destination, on), then the hold
  flip := CUT_HELD;
  Normalize();
end;

-- ... drain capture and replay to the head of every shard, stop them,
-- note where reverse sync starts (the destination's head), save ...
rule "cutover: drained, saved"
  flip = CUT_HELD & (mem.phase = REPLAY | mem.phase = ROLLEDBACK) & ForwardDrained()
==>
begin
  mem.phase := CUTOVER;
  for s : ShardT do mem.rv[s] := st[DST].len; end;
  ck := mem;
  Normalize();
end;

-- ... flip the pointer (the commit point) and release the writes.
rule "cutover: flip, release"
  flip = CUT_HELD & mem.phase = CUTOVER
==>
begin
  pointer := DST;
  flip := IDLE;
  Normalize();
end;

-- Rollback: the same fenced flip the other way; forward capture restarts
-- at the source's head, after reverse sync's own writes.
rule "rollback: hold writes"
  inst.reverse & flip = IDLE & mem.phase = CUTOVER
==>
begin
  flip := ROLL_HELD;
  Normalize();
end;

rule "rollback: drained, saved"
  flip = ROLL_HELD & mem.phase = CUTOVER & ReverseDrained()
==>
begin
  mem.phase := ROLLEDBACK;
  for s : ShardT do
    mem.cpos[s] := st[SRC].len;
    rpos[s] := st[SRC].len;
  end;
  ck := mem;
  Normalize();
end;

rule "rollback: flip, release"
  flip = ROLL_HELD & mem.phase = ROLLEDBACK
==>
begin
  pointer := SRC;
  flip := IDLE;
  rolled := true;
  Normalize();
end;
