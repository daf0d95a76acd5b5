-- godwit's migration protocol, as a Murphi model checked exhaustively by
-- rumur. docs/model.md says what is modelled, what is abstracted and why
-- that is sound, and how each rule maps to the code; model/README.md says
-- how to run it.
--
-- The model is four files, read as one in this order (Murphi has no
-- include; model/check.cmake concatenates them):
--   godwit_state.m       constants, types, the state (this file)
--   godwit_logic.m       the mapping, shards, caught up, godwit's writes,
--                        canonical states
--   godwit_rules.m       the start states and the rules (the steps)
--   godwit_properties.m  the invariants and the cover properties
--
-- One run migrates a source table (keys 1..K, values 1..V, 0 = absent)
-- into a destination through a re-keying transform:
--
--   up(k, v)        = the destination row (P(k), v): partition key P(k)
--                     (a permutation of the source keys), sort key v
--   down((p, v))    = the source item (P(p), v)      (P is an involution)
--
-- so an update v1 -> v2 of source key k must delete the row (P(k), v1) and
-- put (P(k), v2): the old image's row goes away only because replay maps
-- the old image (DESIGN.md, "Replay"). Application writers write the
-- active table only, through the router (one atomic write, never during a
-- flip's hold). Each table has a change stream of several shards with
-- rollover; godwit captures the source stream into a durable journal with
-- one reader per shard and a position per shard, backfills with a
-- non-snapshot scan, replays the journal once backfill is done, flips with a
-- fenced drain, reverse-syncs the destination's stream through down, and
-- rolls back with the same fenced flip. It may crash at any step (bounded
-- by MAXCRASH): everything volatile is lost and the run resumes from its
-- durable state (the last checkpoint, the journal up to its durable offset)
-- and the pointer.
--
-- MUTANT selects a broken variant (0 = the protocol as designed); each must
-- be rejected by the checker (tests/CMakeLists.txt, model section).

const
  -- The instances checked (tests override these; see model/README.md).
  -- INSTANCES = 3 checks three instances in one run, each a start state:
  --   protocol    the constants below (as given)
  --   shards      SPLIT, DSTROLL, 2 writes, 2 crashes
  --   transforms  FANOUT, any starting source, forward only, 2 writes
  -- INSTANCES = 1 checks only the instance the constants give (the
  -- mutants' tests use it to pick the smallest instance that shows them).
  INSTANCES : 3;
  K        : 2;  -- source keys; also backfill segments and destination partitions
  V        : 2;  -- values 1..V of an item; 0 means absent
  MAXW     : 3;  -- application writes, both tables together (at most WCAP)
  MAXCRASH : 1;  -- crashes, each followed by a resume (at most CCAP)
  MAXREC   : 6;  -- live records a stream holds (bounds exploration; docs/model.md)
  SPLIT    : 0;  -- 1: source shard 1 holds every key and splits into 4 and 5
  DSTROLL  : 0;  -- 1: destination shard 1 rolls over into shard 3
  REVERSE  : 1;  -- 0: no cutover, reverse sync or rollback (forward only)
  INITIAL  : 1;  -- every source item starts with this value; 0: any start
  FANOUT   : 0;  -- 1: up(k, v) is the rows (P(k), 1..v): a fan-out (needs REVERSE = 0)
  MUTANT   : 0;
  NORMALIZE : 1; -- 0: no canonical states (a cross-check; MAXREC then bounds all records)
  WCAP     : 3;  -- the largest MAXW of any instance
  CCAP     : 2;  -- the largest MAXCRASH of any instance

  -- The mutants (docs/model.md, "Mutants").
  M_GLOBAL_POSITION         : 1;  -- resume every shard after the largest sequence captured
  M_CHILD_BEFORE_PARENT     : 2;  -- read a child shard before its parent is finished
  M_REPLAY_DURING_BACKFILL  : 3;  -- replay runs while segments are still being copied
  M_FLIP_WITHOUT_DRAIN      : 4;  -- cutover flips once the journal is replayed, without
                                  -- reading every shard to its head
  M_SEGMENT_DONE_AT_READ    : 5;  -- a segment is checkpointed before its write is acknowledged
  M_REPLAY_PAST_DURABLE     : 6;  -- replay may apply journal records synced but not yet
                                  -- published with the capture positions (engine.cc today)
  M_RESUME_TRUSTS_STATE     : 7;  -- a resumed run takes its phase from the run state, not
                                  -- from the pointer
  M_ROLLBACK_WITHOUT_DRAIN  : 8;  -- rollback flips without draining reverse sync
  M_REVERSE_AFTER_ROLLBACK  : 9;  -- reverse sync is not stopped by a rollback
  M_FORWARD_AFTER_CUTOVER   : 10; -- capture and replay are not stopped by a cutover

  NSH : 5;  -- shard ids per stream (the topology below uses what it needs)

type
  KeyT   : 1..K;
  Val0   : 0..V;            -- 0 = absent
  ValT   : 1..V;
  Seq    : 0..MAXREC;       -- a stream sequence number; 0 = before the first record
  ShardT : 1..NSH;
  JIdx   : 0..MAXREC;       -- a journal offset (records, not bytes)
  Tab    : enum { SRC, DST };
  Status : enum { NOTYET, OPEN, CLOSED };
  Phase  : enum { BACKFILL, REPLAY, CUTOVER, ROLLEDBACK };
  Flip   : enum { IDLE, CUT_HELD, ROLL_HELD };  -- a flip in progress holds writes
  BfStep : enum { BF_IDLE, BF_READ };

  -- The instance of a run (constant during it; docs/model.md, "Instances").
  Inst : record
    split, dstroll, fanout, reverse : boolean;
    initial  : Val0;
    maxw     : 0..WCAP;
    maxcrash : 0..CCAP;
  end;

  -- A change record. For SRC: key = source key; for DST: key = partition.
  -- o / n: old / new image (the value, 0 = none). sh: the shard it went to.
  Rec : record
    key : KeyT;
    o   : Val0;
    n   : Val0;
    sh  : 0..NSH;           -- 0: a slot no reader can return any more
  end;

  Stream : record
    len : Seq;                          -- sequence of the newest record
    r   : array[1..MAXREC] of Rec;      -- r[i] has sequence i
    shs : array[ShardT] of Status;
  end;

  -- The run state: a checkpoint of it is one put (run_state.h).
  RunState : record
    phase : Phase;
    cpos  : array[ShardT] of Seq;   -- capture: per source shard, the last record journaled
    jofs  : JIdx;                   -- journal records durable with cpos (journal_offset)
    rp    : JIdx;                   -- replay offset: journal records applied
    seg   : array[KeyT] of boolean; -- backfill segment done
    rv    : array[ShardT] of Seq;   -- reverse sync: per destination shard, last applied
  end;

var
  inst    : Inst;

  -- The tables and their streams.
  src     : array[KeyT] of Val0;                 -- the source table
  dst     : array[KeyT] of array[ValT] of boolean; -- destination rows (partition, sort key)
  st      : array[Tab] of Stream;
  pointer : Tab;                                 -- durable: the active table (commit point)
  dst_stream : boolean;                          -- the destination's stream is on

  -- godwit, durable.
  ck      : RunState;                            -- the last checkpoint
  jn      : array[1..MAXREC] of Seq;             -- the journal: the sequence of each
                                                 -- record; a crash keeps ck.jofs of them
  -- godwit, volatile (lost in a crash).
  mem     : RunState;                            -- the in-memory run state
  jlen    : JIdx;                                -- journal records written
  jpub    : JIdx;                                -- journal records replay may read
  rpos    : array[ShardT] of Seq;                -- capture reader: per shard position
  pend    : array[ShardT] of Seq;                -- M_REPLAY_PAST_DURABLE only: synced positions
  pending : boolean;                             --   not yet published
  bf      : array[KeyT] of record step : BfStep; v : Val0; end; -- a segment's read, unwritten
  flip    : Flip;                                -- holds writes while not IDLE

  -- Ghosts and bounds.
  ack      : array[KeyT] of Val0;  -- every acknowledged write, as the application sees the table
  writes   : 0..WCAP;
  crashes  : 0..CCAP;
  wrote_src_active : boolean;      -- godwit wrote the source while it was active
  wrote_dst_active : boolean;      -- godwit wrote the destination while it was active
  rolled   : boolean;              -- a rollback flipped back (coverage only)
  rowdel   : boolean;              -- replay deleted an old image's row of a
                                   -- present item (coverage only)
