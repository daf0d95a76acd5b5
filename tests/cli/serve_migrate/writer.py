"""An application writing to a table through godwit serve with boto3 while
the server migrates it (tests/cli/serve_migrate_test.cc).

    writer.py ENDPOINT TABLE STOP_FILE KEYS THREADS

Each thread owns the keys k with k % THREADS == thread, so the last write a
thread had acknowledged for a key is that key's expected final state. Until
STOP_FILE exists (or 300 s have passed: an orphaned writer stops by
itself), threads put, update and delete their keys; then every
touched key is read back (through the logical table name) and compared.
Prints one JSON line: ops, errors (with the first few), the longest write
latency in ms, and mismatches (keys whose read-back differs from the last
acknowledged write). Exit 77 if boto3 is missing.
"""
import json
import os
import random
import sys
import threading
import time

try:
    import boto3
    from botocore.config import Config
except ImportError:
    print("boto3 is not installed", file=sys.stderr)
    sys.exit(77)

endpoint, table, stop_file = sys.argv[1], sys.argv[2], sys.argv[3]
keys, threads = int(sys.argv[4]), int(sys.argv[5])


def client():
    return boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, read_timeout=120,
                      connect_timeout=10))


deadline = time.monotonic() + 300
expected = {}  # key -> int value, or None (deleted)
lock = threading.Lock()
ops = [0]
errors = []
max_ms = [0.0]


def work(t):
    ddb = client()
    rng = random.Random(t)
    mine = [k for k in range(keys) if k % threads == t]
    seq = 0
    while not os.path.exists(stop_file) and time.monotonic() < deadline:
        k = rng.choice(mine)
        key = {"pk": {"S": "k%06d" % k}}
        seq += 1
        value = t * 1_000_000_000 + seq
        kind = rng.random()
        start = time.monotonic()
        try:
            if kind < 0.5:
                ddb.put_item(TableName=table,
                             Item={**key, "n": {"N": str(value)},
                                   "note": {"S": "written by thread %d" % t}})
                state = value
            elif kind < 0.8:
                ddb.update_item(TableName=table, Key=key,
                                UpdateExpression="SET n = :v",
                                ExpressionAttributeValues={":v": {"N": str(value)}})
                state = value
            else:
                ddb.delete_item(TableName=table, Key=key)
                state = None
        except Exception as e:  # every error counts: the test wants none
            with lock:
                errors.append("%s: %s" % (type(e).__name__, e))
            continue
        ms = (time.monotonic() - start) * 1000
        with lock:
            expected[k] = state
            ops[0] += 1
            max_ms[0] = max(max_ms[0], ms)


ws = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
for w in ws:
    w.start()
for w in ws:
    w.join()

ddb = client()
mismatches = []
for k, want in sorted(expected.items()):
    got = ddb.get_item(TableName=table, Key={"pk": {"S": "k%06d" % k}},
                       ConsistentRead=True).get("Item")
    got_n = int(got["n"]["N"]) if got is not None else None
    if got_n != want:
        mismatches.append({"key": k, "want": want, "got": got_n})
print(json.dumps({"ops": ops[0], "errors": len(errors),
                  "first_errors": errors[:5], "max_ms": round(max_ms[0], 1),
                  "keys": len(expected), "mismatches": len(mismatches),
                  "first_mismatches": mismatches[:5]}))
