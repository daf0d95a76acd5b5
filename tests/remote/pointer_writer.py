"""An application that writes straight to a DynamoDB endpoint while godwit
migrates its table, following the pointer contract of docs/remote.md
(tests/remote/engine_remote_test.cc).

    pointer_writer.py write ENDPOINT STOP_FILE OUT_FILE THREADS RATE CACHE_S TIMEOUT_S
    pointer_writer.py check ENDPOINT OUT_FILE

write: THREADS threads insert, update and delete orders of their own (ids
10_000_000 + thread * 1_000_000 + n; nobody else writes them, so the last
write a thread had acknowledged for an id is that id's expected state) at
about RATE writes/s each, until STOP_FILE exists (or 300 s have passed: an
orphaned writer stops by itself). Before each write a thread makes sure its
pointer read started less than CACHE_S seconds ago (else it reads the
pointer again, consistently); while the pointer's state is "switching" it
holds the write and re-reads every 50 ms. It writes to the pointer's
physical table in that table's shape: "Orders" keyed by pk = ORDER#<id>,
"Orders.v2" the way the migration 0002_key_by_customer shapes it (pk =
CUST#<customer>, sk = ORDER#<id>, status renamed orderStatus, itemCount).
Requests time out after TIMEOUT_S and are never retried, so a write lands
within CACHE_S + TIMEOUT_S of the pointer read it relied on. Writes the
expected final states to OUT_FILE and prints one JSON line: ops by kind
and by table, errors, epochs seen, time spent holding, longest write.

check: reads every id of OUT_FILE from both tables (consistent reads) and
prints one JSON line with the mismatches: "Orders" must hold the expected
item and "Orders.v2" its migrated form (or neither, for a deleted id).

Exit 77 if boto3 is missing.
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

LOGICAL = "Orders"
GREEN = "Orders.v2"


def client(endpoint, timeout):
    return boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"},
                      read_timeout=timeout, connect_timeout=timeout))


def blue_item(oid, version):
    """The order in the shape of "Orders" (DynamoDB JSON)."""
    lines = [{"M": {"sku": {"S": "SKU-%06d" % ((oid * 7 + i) % 100000)},
                    "qty": {"N": str(1 + (oid + version + i) % 4)}}}
             for i in range(1 + (oid + version) % 3)]
    return {
        "pk": {"S": "ORDER#%09d" % oid},
        "orderId": {"N": str(oid)},
        "customerId": {"S": "C%05d" % (oid % 997)},
        "status": {"S": ["NEW", "PAID", "SHIPPED", "DELIVERED"][version % 4]},
        "version": {"N": str(version)},
        "items": {"L": lines},
        "note": {"S": "written by pointer_writer.py"},
    }


def up(item):
    """0002_key_by_customer, as tests/testutil/rekey_mapper.h has it."""
    out = dict(item)
    out["pk"] = {"S": "CUST#" + item["customerId"]["S"]}
    out["sk"] = {"S": "ORDER#" + item["pk"]["S"].split("#", 1)[1]}
    if "status" in out:
        out["orderStatus"] = out.pop("status")
    out["itemCount"] = {"N": str(len(item.get("items", {"L": []})["L"]))}
    return out


def green_key(oid):
    return {"pk": {"S": "CUST#C%05d" % (oid % 997)},
            "sk": {"S": "ORDER#%09d" % oid}}


def blue_key(oid):
    return {"pk": {"S": "ORDER#%09d" % oid}}


class Pointer:
    """One thread's cached view of the pointer item."""

    def __init__(self, ddb, cache_s):
        self.ddb, self.cache_s = ddb, cache_s
        self.read_at = -1e9
        self.physical, self.epoch, self.state = LOGICAL, 0, "active"

    def refresh(self):
        read_at = time.monotonic()  # the read *starts* now
        try:
            got = self.ddb.get_item(
                TableName="godwit_control", ConsistentRead=True,
                Key={"pk": {"S": "pointer#" + LOGICAL},
                     "sk": {"S": "pointer"}}).get("Item")
        except self.ddb.exceptions.ResourceNotFoundException:
            got = None  # no control table yet: the table is itself
        self.read_at = read_at
        if got is None:
            self.physical, self.epoch, self.state = LOGICAL, 0, "active"
        else:
            self.physical = got["physical"]["S"]
            self.epoch = int(got["epoch"]["N"])
            self.state = got["state"]["S"]

    def table_for_write(self, stats):
        """The physical table to write now; holds while switching."""
        held_from = None
        while True:
            if time.monotonic() - self.read_at >= self.cache_s:
                self.refresh()
            if self.state != "switching":
                break
            if held_from is None:
                held_from = time.monotonic()
            time.sleep(0.05)
            self.read_at = -1e9  # re-read
        if held_from is not None:
            stats["held_s"] += time.monotonic() - held_from
            stats["holds"] += 1
        stats["epochs"].add(self.epoch)
        return self.physical


def write(endpoint, stop_file, out_file, threads, rate, cache_s, timeout_s):
    deadline = time.monotonic() + 300
    expected = {}  # oid -> version, or None (deleted)
    lock = threading.Lock()
    stats = {"ops": 0, "put": 0, "update": 0, "delete": 0, "blue": 0,
             "green": 0, "errors": [], "max_ms": 0.0, "held_s": 0.0,
             "holds": 0, "epochs": set()}

    def work(t):
        ddb = client(endpoint, timeout_s)
        ptr = Pointer(ddb, cache_s)
        rng = random.Random(t)
        base = 10_000_000 + t * 1_000_000
        mine = {}  # oid -> version (live ids of this thread)
        next_id = 0
        local = {"held_s": 0.0, "holds": 0, "epochs": set()}
        while not os.path.exists(stop_file) and time.monotonic() < deadline:
            time.sleep(rng.uniform(0, 2.0 / rate))
            x = rng.random()
            if not mine or x < 0.4:
                kind, oid, version = "put", base + next_id, 0
                next_id += 1
            else:
                oid = rng.choice(list(mine))
                kind = "update" if x < 0.85 else "delete"
                version = mine[oid] + 1
            try:
                table = ptr.table_for_write(local)
            except Exception as e:
                with lock:
                    stats["errors"].append("reading the pointer: %s: %s" %
                                           (type(e).__name__, e))
                if kind == "put":
                    next_id -= 1
                continue
            green = table == GREEN
            start = time.monotonic()
            try:
                if kind == "put":
                    item = blue_item(oid, version)
                    ddb.put_item(TableName=table,
                                 Item=up(item) if green else item)
                elif kind == "update":
                    # Whole-item rewrites and attribute updates, in turn.
                    if version % 2 == 0:
                        item = blue_item(oid, version)
                        ddb.put_item(TableName=table,
                                     Item=up(item) if green else item)
                    else:
                        want = blue_item(oid, version)
                        ddb.update_item(
                            TableName=table,
                            Key=green_key(oid) if green else blue_key(oid),
                            UpdateExpression="SET #s = :s, version = :v, "
                                             "#i = :i" +
                                             (", itemCount = :c" if green
                                              else ""),
                            ExpressionAttributeNames={
                                "#s": "orderStatus" if green else "status",
                                "#i": "items"},
                            ExpressionAttributeValues={
                                ":s": want["status"], ":v": want["version"],
                                ":i": want["items"],
                                **({":c": up(want)["itemCount"]}
                                   if green else {})})
                else:
                    ddb.delete_item(
                        TableName=table,
                        Key=green_key(oid) if green else blue_key(oid))
            except Exception as e:  # every error counts: the test wants none
                with lock:
                    stats["errors"].append("%s on %s: %s" %
                                           (type(e).__name__, table, e))
                if kind == "put" and version == 0:
                    mine.pop(oid, None)
                continue
            ms = (time.monotonic() - start) * 1000
            if kind == "delete":
                mine.pop(oid)
            else:
                mine[oid] = version
            with lock:
                expected[oid] = None if kind == "delete" else version
                stats["ops"] += 1
                stats[kind] += 1
                stats["green" if green else "blue"] += 1
                stats["max_ms"] = max(stats["max_ms"], ms)
        with lock:
            stats["held_s"] += local["held_s"]
            stats["holds"] += local["holds"]
            stats["epochs"] |= local["epochs"]

    ws = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    with open(out_file, "w") as f:
        json.dump({str(k): v for k, v in expected.items()}, f)
    print(json.dumps({
        "ops": stats["ops"], "put": stats["put"], "update": stats["update"],
        "delete": stats["delete"], "blue": stats["blue"],
        "green": stats["green"], "ids": len(expected),
        "errors": len(stats["errors"]), "first_errors": stats["errors"][:5],
        "max_ms": round(stats["max_ms"], 1),
        "held_s": round(stats["held_s"], 2), "holds": stats["holds"],
        "epochs": sorted(stats["epochs"])}))


def check(endpoint, out_file):
    ddb = client(endpoint, 30)
    with open(out_file) as f:
        expected = {int(k): v for k, v in json.load(f).items()}
    mismatches = []
    for oid, version in sorted(expected.items()):
        want = None if version is None else blue_item(oid, version)
        got = ddb.get_item(TableName=LOGICAL, Key=blue_key(oid),
                           ConsistentRead=True).get("Item")
        if got != want:
            mismatches.append({"id": oid, "table": LOGICAL, "want": want,
                               "got": got})
        want_green = None if want is None else up(want)
        got = ddb.get_item(TableName=GREEN, Key=green_key(oid),
                           ConsistentRead=True).get("Item")
        if got != want_green:
            mismatches.append({"id": oid, "table": GREEN, "want": want_green,
                               "got": got})
    print(json.dumps({"ids": len(expected), "mismatches": len(mismatches),
                      "first_mismatches": mismatches[:3]}))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]),
              float(sys.argv[6]), float(sys.argv[7]), float(sys.argv[8]))
    else:
        check(sys.argv[2], sys.argv[3])
