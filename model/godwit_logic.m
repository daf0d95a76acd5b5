-- godwit model, part 2 of 4: functions and procedures (see godwit_state.m).

---------------------------------------------------------------- the mapping

function P(k : KeyT) : KeyT;  -- the destination partition of source key k
begin
  return K + 1 - k;
end;

-- Whether the row (P(k), j) belongs to up(k, v). Without a fan-out: the one
-- row (P(k), v). With it: the rows (P(k), 1..v), so that an update 2 -> 1
-- must delete the row (P(k), 2) and keep (P(k), 1).
function InUp(v : Val0; j : ValT) : boolean;
begin
  if v = 0 then return false; end;
  if inst.fanout then return j <= v; end;
  return j = v;
end;

function HasRows(p : KeyT) : boolean;
begin
  return exists v : ValT do dst[p][v] end;
end;

-- down(destination) for source key k: the value of the one row of its
-- partition, 0 without rows, V+1 (no item) with several. (Not defined for
-- a fan-out, which is forward only.)
function DownOf(k : KeyT) : 0..V+1;
var n : 0..V; w : Val0;
begin
  n := 0; w := 0;
  for v : ValT do
    if dst[P(k)][v] then n := n + 1; w := v; end;
  end;
  if n > 1 then return V + 1; end;
  return w;
end;

-- The destination holds exactly up(source item k) in k's partition.
function DstIsUp(k : KeyT) : boolean;
begin
  return forall j : ValT do dst[P(k)][j] = InUp(src[k], j) end;
end;

-- Every row of up(source item k) is in the destination.
function DstHasUp(k : KeyT) : boolean;
begin
  return forall j : ValT do InUp(src[k], j) -> dst[P(k)][j] end;
end;

---------------------------------------------------------------- shards

-- Topology. Source: shards 1 (key 1) and 2 (keys 2..K) are open from the
-- start and 1 rolls over into 3; with SPLIT, shard 1 holds every key and
-- splits into 4 (key 1) and 5 (the others). Destination: shard 1 holds
-- partition 1, shard 2 the others; with DSTROLL, 1 rolls over into 3.
function InTopology(t : Tab; s : ShardT) : boolean;
begin
  if t = SRC then
    if inst.split then return s = 1 | s = 4 | s = 5; end;
    return s <= 3;
  end;
  return s <= 2 | (inst.dstroll & s = 3);
end;

function Parent(t : Tab; s : ShardT) : 0..NSH;
begin
  if !InTopology(t, s) then return 0; end;
  if s >= 3 then return 1; end;
  return 0;
end;

function Root(t : Tab; key : KeyT) : ShardT;
begin
  if key = 1 | (t = SRC & inst.split) then return 1; end;
  return 2;
end;

-- The child of s that a key's records go to after s closes.
function ChildFor(t : Tab; s : ShardT; key : KeyT) : ShardT;
begin
  if t = SRC & inst.split then
    if key = 1 then return 4; end;
    return 5;
  end;
  return 3;
end;

-- The open shard a write of `key` goes to.
function HomeShard(t : Tab; key : KeyT) : ShardT;
var s : ShardT;
begin
  s := Root(t, key);
  while st[t].shs[s] = CLOSED do s := ChildFor(t, s, key); end;
  return s;
end;

-- Whether s is a parent in the topology (only shard 1 ever is).
function HasChildren(t : Tab; s : ShardT) : boolean;
begin
  return s = 1 & (t = SRC | inst.dstroll);
end;

-- The first record of shard s after sequence `after`, or 0: what the
-- shard's iterator returns next (GetRecords, AFTER_SEQUENCE_NUMBER).
function NextRec(t : Tab; s : ShardT; after : Seq) : Seq;
begin
  for i : 1..MAXREC do
    if i > after & i <= st[t].len & st[t].r[i].sh = s then return i; end;
  end;
  return 0;
end;

-- A reader at `pos` has read shard s to its end: s is closed and has no
-- record after pos (GetRecords returned no NextShardIterator).
function Finished(t : Tab; s : ShardT; pos : Seq) : boolean;
begin
  return st[t].shs[s] = CLOSED & NextRec(t, s, pos) = 0;
end;

procedure Append(t : Tab; key : KeyT; o : Val0; n : Val0);
begin
  assert "stream bound" st[t].len < MAXREC;
  st[t].len := st[t].len + 1;
  st[t].r[st[t].len].key := key;
  st[t].r[st[t].len].o := o;
  st[t].r[st[t].len].n := n;
  st[t].r[st[t].len].sh := HomeShard(t, key);
end;

---------------------------------------------------------------- caught up

-- Forward sync has nothing left to do: backfill is done (no write of it in
-- flight), every source shard was read to its head (by the reader's own
-- per-shard positions), and every journaled record is synced and applied.
function FwdCaughtUp() : boolean;
begin
  if !(mem.phase = REPLAY | mem.phase = ROLLEDBACK) then return false; end;
  if mem.rp != jlen | jpub != jlen then return false; end;
  if exists k : KeyT do bf[k].step != BF_IDLE end then return false; end;
  for s : ShardT do
    if NextRec(SRC, s, rpos[s]) != 0 then return false; end;
  end;
  return true;
end;

-- Reverse sync has nothing left to do (and the destination is active).
function RevCaughtUp() : boolean;
begin
  if !(mem.phase = CUTOVER & pointer = DST) then return false; end;
  for s : ShardT do
    if NextRec(DST, s, mem.rv[s]) != 0 then return false; end;
  end;
  return true;
end;

-- What a flip's drain waits for, with writes held.
function ForwardDrained() : boolean;
begin
  if MUTANT = M_FLIP_WITHOUT_DRAIN then
    -- "replay has applied everything captured": not every shard at its head
    return mem.rp = jlen & jpub = jlen;
  end;
  return FwdCaughtUp();
end;

function ReverseDrained() : boolean;
begin
  if MUTANT = M_ROLLBACK_WITHOUT_DRAIN then return true; end;
  return RevCaughtUp();
end;

-- Capture and replay run in these phases, except during a rollback's
-- hold: Rollback() turns them on only after the pointer flipped back.
function ForwardOn() : boolean;
begin
  if MUTANT = M_FORWARD_AFTER_CUTOVER & mem.phase = CUTOVER then return true; end;
  return (mem.phase = BACKFILL | mem.phase = REPLAY | mem.phase = ROLLEDBACK)
         & flip != ROLL_HELD;
end;

---------------------------------------------------------------- godwit's writes

-- A write of godwit's into the destination; once the destination's stream
-- is on (from the first cutover), it is a destination change record.
procedure GodwitWritesDst(p : KeyT; v : ValT; present : boolean);
begin
  if pointer = DST then wrote_dst_active := true; end;
  if dst[p][v] != present & dst_stream then
    if present then Append(DST, p, 0, v); else Append(DST, p, v, 0); end;
  end;
  dst[p][v] := present;
end;

-- Applies a source change record to the destination: delete the rows of
-- up(old) that are not rows of up(new), then put up(new) (ApplyRecords).
procedure ApplyForward(r : Rec);
begin
  for j : ValT do
    if InUp(r.o, j) & !InUp(r.n, j) then
      GodwitWritesDst(P(r.key), j, false);
      if r.n != 0 then rowdel := true; end;
    end;
  end;
  for j : ValT do
    if InUp(r.n, j) then GodwitWritesDst(P(r.key), j, true); end;
  end;
end;

-- Applies a destination change record to the source through down. A write
-- that changes the source is a source change record.
procedure ApplyReverse(r : Rec);
var k : KeyT; nv : Val0;
begin
  k := P(r.key);
  nv := src[k];
  if r.n != 0 then
    nv := r.n;             -- put down(new)
  elsif r.o != 0 then
    nv := 0;               -- delete the key of down(old)
  end;
  if nv != src[k] then
    if pointer = SRC then wrote_src_active := true; end;
    Append(SRC, k, src[k], nv);
    src[k] := nv;
  end;
end;

-- Backfill of segment k is done: all segments done starts replay, and the
-- state is saved at once (BackfillSegment).
procedure SegmentDone(k : KeyT);
begin
  mem.seg[k] := true;
  if mem.phase = BACKFILL & (forall j : KeyT do mem.seg[j] end) then
    mem.phase := REPLAY;
    ck := mem;
  end;
end;


---------------------------------------------------------------- canonical states

-- Explicit-state checking stores whole states, so two states that no
-- future step can tell apart are made equal here (docs/model.md,
-- "Canonical states"): the checkpoint once no crash is left to read it,
-- journal entries every offset is past, and stream records that no
-- reader's position (volatile, in memory or durable) or live journal entry
-- can reach; the oldest live record is renumbered 1. All comparisons of
-- sequences and offsets are relative, so this changes no behaviour.

procedure ClearRec(var r : Rec);
begin
  r.key := 1; r.o := 0; r.n := 0; r.sh := 0;
end;

procedure ClearRunState(var r : RunState);
begin
  r.phase := BACKFILL;
  for s : ShardT do r.cpos[s] := 0; r.rv[s] := 0; end;
  r.jofs := 0; r.rp := 0;
  for k : KeyT do r.seg[k] := false; end;
end;

function CkLive() : boolean;
begin
  return crashes < inst.maxcrash;
end;

-- Whether record i of stream t can still be returned by a reader, now or
-- after any future step, or is named by the journal.
function RecLive(t : Tab; i : Seq) : boolean;
var s : 0..NSH;
begin
  s := st[t].r[i].sh;
  if s = 0 then return false; end;
  if t = SRC then
    -- capture: the reader, the in-memory state, a pending publish, and the
    -- checkpoint a crash resumes from (mutant 1 resumes past it: later)
    if rpos[s] < i | mem.cpos[s] < i then return true; end;
    if pending & pend[s] < i then return true; end;
    if CkLive() & ck.cpos[s] < i then return true; end;
    for j : 1..MAXREC do
      if j <= jlen & jn[j] = i then return true; end;
    end;
  else
    -- Only reverse sync reads the destination's stream, in phase CUTOVER.
    -- Outside it, a cutover's save moves mem.rv to the head before any
    -- read; a resume reads ck.rv only into CUTOVER, when the pointer
    -- names the destination.
    if (mem.phase = CUTOVER | MUTANT = M_REVERSE_AFTER_ROLLBACK)
       & mem.rv[s] < i then return true; end;
    if CkLive()
       & (pointer = DST | MUTANT = M_REVERSE_AFTER_ROLLBACK
          | MUTANT = M_RESUME_TRUSTS_STATE)
       & ck.rv[s] < i then return true; end;
  end;
  return false;
end;

function Shifted(x : Seq; d : Seq) : Seq;
begin
  if x >= d then return x - d; else return 0; end;
end;

procedure Normalize();
var e : JIdx; d : Seq; lead : boolean;
begin
  if NORMALIZE = 0 then return; end;
  if !CkLive() then ClearRunState(ck); end;
  -- journal: drop the entries below every offset
  e := jlen;
  if jpub < e then e := jpub; end;
  if mem.jofs < e then e := mem.jofs; end;
  if mem.rp < e then e := mem.rp; end;
  if CkLive() & ck.jofs < e then e := ck.jofs; end;
  if CkLive() & ck.rp < e then e := ck.rp; end;
  if e > 0 then
    for j : 1..MAXREC do
      if j + e <= MAXREC then jn[j] := jn[j + e]; else jn[j] := 0; end;
    end;
    jlen := jlen - e; jpub := jpub - e; mem.jofs := mem.jofs - e; mem.rp := mem.rp - e;
    if CkLive() then ck.jofs := ck.jofs - e; ck.rp := ck.rp - e; end;
  end;
  for j : 1..MAXREC do if j > jlen then jn[j] := 0; end; end;
  -- streams: clear the records no reader can return and the journal does
  -- not name; renumber from the oldest live one
  for t : Tab do
    if st[t].len > 0 then
      d := 0; lead := true;
      for i : 1..MAXREC do
        if i <= st[t].len & !RecLive(t, i) then
          ClearRec(st[t].r[i]);
          if lead then d := i; end;
        else
          lead := false;
        end;
      end;
      if d > 0 then
        for i : 1..MAXREC do
          if i + d <= MAXREC then st[t].r[i] := st[t].r[i + d]; else ClearRec(st[t].r[i]); end;
        end;
        st[t].len := st[t].len - d;
        for s : ShardT do
          if t = SRC then
            rpos[s] := Shifted(rpos[s], d);
            mem.cpos[s] := Shifted(mem.cpos[s], d);
            pend[s] := Shifted(pend[s], d);
            ck.cpos[s] := Shifted(ck.cpos[s], d);
          else
            mem.rv[s] := Shifted(mem.rv[s], d);
            ck.rv[s] := Shifted(ck.rv[s], d);
          end;
        end;
        if t = SRC then
          for j : 1..MAXREC do if j <= jlen then jn[j] := jn[j] - d; end; end;
        end;
      end;
    end;
  end;
end;
