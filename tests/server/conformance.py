#!/usr/bin/env python3
"""Runs tests/server/conformance/scenarios.json with boto3 against a server.

  GODWIT_ENDPOINT=http://127.0.0.1:PORT python3 conformance.py run \
      --target godwit|moto --answers OUT.json
  python3 conformance.py compare A.json B.json

`run` executes every step: a step's `expect` (DynamoDB's documented answer)
is asserted, and the answers at the `expect` and `compare` paths (or the
error code) are written to OUT.json. A step whose `departs` names the target
is run but neither asserted nor written: the script prints whether the
departure was observed. `compare` checks that two answer files agree on
every step both hold (the JS driver, tests/js/conformance.mjs, writes the
same format).

Exit codes: 0 all passed; 1 a failure (printed); 77 boto3 is not installed.
Run by tests/server/conformance_test.cc.
"""
import base64
import copy
import datetime
import json
import os
import sys
import time
import traceback
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "conformance", "scenarios.json")
ABSENT = "<absent>"


# ---- values ---------------------------------------------------------------

def expand(v, i=None):
    """Expands {"@range": [a, b], "@each": t} templates ("@i", "@even")."""
    if isinstance(v, dict):
        if "@range" in v:
            a, b = v["@range"]
            return [expand(v["@each"], k) for k in range(a, b)]
        return {k: expand(x, i) for k, x in v.items()}
    if isinstance(v, list):
        return [expand(x, i) for x in v]
    if v == "@i" and i is not None:
        return str(i)
    if v == "@even" and i is not None:
        return i % 2 == 0
    return v


def lookup_var(vars_, ref):
    parts = ref[1:].split(".")
    v = vars_[parts[0]]
    for p in parts[1:]:
        v = v[int(p)] if isinstance(v, list) else v[p]
    return v


def substitute(v, vars_):
    if isinstance(v, dict):
        return {k: substitute(x, vars_) for k, x in v.items()}
    if isinstance(v, list):
        return [substitute(x, vars_) for x in v]
    if isinstance(v, str) and v.startswith("$") and v[1:].split(".")[0] in vars_:
        return lookup_var(vars_, v)
    return v


def to_wire(v):
    """Scenario JSON -> boto3 parameters: B/BS base64 text -> bytes."""
    if isinstance(v, dict):
        if len(v) == 1 and "B" in v and isinstance(v["B"], str):
            return {"B": base64.b64decode(v["B"])}
        if len(v) == 1 and "BS" in v and isinstance(v["BS"], list):
            return {"BS": [base64.b64decode(x) for x in v["BS"]]}
        return {k: to_wire(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_wire(x) for x in v]
    return v


def normalise(v):
    """boto3 answer -> comparable JSON: bytes as base64, sets sorted."""
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode()
    if isinstance(v, datetime.datetime):
        return v.isoformat()
    if isinstance(v, dict):
        out = {k: normalise(x) for k, x in v.items()}
        for k in ("SS", "NS", "BS"):
            if len(out) == 1 and k in out and isinstance(out[k], list):
                out[k] = sorted(out[k])
        return out
    if isinstance(v, list):
        return [normalise(x) for x in v]
    return v


def canon(v):
    return json.dumps(v, sort_keys=True)


def get_path(doc, path):
    """'A.B.0.C' with suffixes #len, #present, #sorted, #tables."""
    v = doc
    for p in path.split("."):
        if p == "#present":
            return v is not ABSENT
        if v is ABSENT:
            return ABSENT
        if p == "#len":
            return len(v)
        if p == "#sorted":
            return sorted(v, key=canon)
        if p == "#tables":
            return sorted(set(x["TableName"] for x in v))
        if isinstance(v, list):
            try:
                v = v[int(p)]
            except (ValueError, IndexError):
                return ABSENT
        elif isinstance(v, dict):
            v = v.get(p, ABSENT)
        else:
            return ABSENT
    return v


def same(a, b):
    return canon(normalise(a)) == canon(normalise(b))


# ---- the driver -----------------------------------------------------------

class StepError(Exception):
    def __init__(self, code, status, message):
        super().__init__("%s (HTTP %s): %s" % (code, status, message))
        self.code = code
        self.status = status


class Driver:
    def __init__(self, endpoint):
        import boto3
        from botocore.config import Config
        cfg = Config(region_name="us-east-1",
                     retries={"max_attempts": 1, "mode": "standard"},
                     connect_timeout=5, read_timeout=30)
        kw = dict(endpoint_url=endpoint, aws_access_key_id="test",
                  aws_secret_access_key="test", config=cfg)
        self.endpoint = endpoint
        self.ddb = boto3.client("dynamodb", **kw)
        self.streams = boto3.client("dynamodbstreams", **kw)
        self.vars = {}

    def call(self, op, params):
        from botocore.exceptions import ClientError
        client = self.ddb
        if op.startswith("streams:"):
            client, op = self.streams, op[len("streams:"):]
        method = getattr(client, snake(op))
        try:
            r = method(**to_wire(params))
        except ClientError as e:
            err = e.response.get("Error", {})
            raise StepError(err.get("Code", "?"),
                            e.response.get("ResponseMetadata", {}).get(
                                "HTTPStatusCode"),
                            err.get("Message", ""))
        r = dict(r)
        r.pop("ResponseMetadata", None)
        return normalise(r)

    def run_op(self, op, params):
        params = substitute(expand(params), self.vars)
        if op == "@paginate":
            return self.paginate(params)
        if op == "@stream":
            return self.stream(params)
        if op == "@describe-stream":
            arn = self.call("DescribeTable", {"TableName": params["table"]})[
                "Table"]["LatestStreamArn"]
            return self.call("streams:DescribeStream", {"StreamArn": arn})
        if op == "@foreach":
            for t in params["tables"]:
                self.vars["table"] = t
                for s in params["steps"]:
                    self.run_op(s["op"], s["params"])
            return {}
        if op == "@raw":
            return self.raw(params["target"], params["body"])
        return self.call(op, params)

    def paginate(self, p):
        segments = p.get("segments")
        out = {"Items": [], "Count": 0, "ScannedCount": 0, "Pages": 0}
        for seg in range(segments or 1):
            req = copy.deepcopy(p["params"])
            if segments:
                req["Segment"], req["TotalSegments"] = seg, segments
            for _ in range(1000):
                r = self.call(p["op"], req)
                out["Items"] += r.get("Items", [])
                out["Count"] += r["Count"]
                out["ScannedCount"] += r["ScannedCount"]
                out["Pages"] += 1
                if "LastEvaluatedKey" not in r:
                    break
                req["ExclusiveStartKey"] = r["LastEvaluatedKey"]
        if p.get("sort"):
            out["Items"].sort(key=canon)
        return out

    def stream(self, p):
        arn = self.call("DescribeTable", {"TableName": p["table"]})["Table"][
            "LatestStreamArn"]
        desc = self.call("streams:DescribeStream", {"StreamArn": arn})
        shard = desc["StreamDescription"]["Shards"][0]["ShardId"]
        req = {"StreamArn": arn, "ShardId": shard,
               "ShardIteratorType": p["type"]}
        if "seq" in p:
            req["SequenceNumber"] = p["seq"]
        it = self.call("streams:GetShardIterator", req)["ShardIterator"]
        for s in p.get("then", []):
            self.run_op(s["op"], s["params"])
        records = []
        for _ in range(50):
            r = self.call("streams:GetRecords",
                          {"ShardIterator": it, "Limit": 100})
            records += r["Records"]
            it = r.get("NextShardIterator")
            if not r["Records"] or not it:
                break
        return stream_answer(records)

    def raw(self, target, body):
        req = urllib.request.Request(
            self.endpoint + "/", data=body.encode(), method="POST",
            headers={
                "X-Amz-Target": target,
                "Content-Type": "application/x-amz-json-1.0",
                "Authorization":
                    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/"
                    "dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            })
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, text = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        try:
            doc = json.loads(text)
        except ValueError:
            doc = {"body": text[:200].decode(errors="replace")}
        if not isinstance(doc, dict):
            doc = {"body": doc}
        doc["status"] = status
        return doc


def stream_answer(records):
    """GetRecords records -> the comparable answer of a stream read."""
    seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
    norm = []
    for r in records:
        d = dict(r["dynamodb"])
        for k in ("ApproximateCreationDateTime", "SequenceNumber",
                  "SizeBytes"):
            d.pop(k, None)
        norm.append({"eventName": r["eventName"],
                     "eventSource": r.get("eventSource"),
                     "dynamodb": d})
    return {"Records": norm, "EventNames": [r["eventName"] for r in records],
            "EventVersions": [r.get("eventVersion") for r in records],
            "Sequences": seqs,
            "SequencesIncreasing": all(
                int(a) < int(b) for a, b in zip(seqs, seqs[1:]))}


def snake(op):
    out = ""
    for i, c in enumerate(op):
        if c.isupper() and i:
            out += "_"
        out += c.lower()
    return out


def check_step(step, got, err):
    """Problems of one step's answer against its expectations ([] if none)."""
    problems = []
    want_err = step.get("error")
    if want_err:
        if err is None:
            return ["expected %s, the call succeeded" % want_err]
        if err.code != want_err:
            return ["expected %s, got %s" % (want_err, err)]
        if err.status is not None and err.status != 400:
            return ["expected HTTP 400 for %s, got %s" % (want_err, err.status)]
        return []
    if err is not None:
        return ["unexpected error %s" % err]
    for path, want in expand(step.get("expect", {})).items():
        have = get_path(got, path)
        if want == ABSENT:
            if have is not ABSENT:
                problems.append("%s: expected absent, got %s" % (path, canon(have)))
        elif have is ABSENT or not same(have, want):
            problems.append("%s: expected %s, got %s" % (
                path, canon(want), "absent" if have is ABSENT else canon(have)))
    return problems


def answer_of(step, got, err):
    if err is not None:
        return {"error": err.code}
    out = {}
    for path in list(step.get("expect", {})) + step.get("compare", []):
        v = get_path(got, path)
        out[path] = ABSENT if v is ABSENT else normalise(v)
    return out


def run(target, answers_path, only=None):
    try:
        Driver(os.environ.get("GODWIT_ENDPOINT", "http://127.0.0.1:8000"))
    except ImportError as e:
        print("boto3 is not installed: %s" % e)
        return 77
    drv = Driver(os.environ.get("GODWIT_ENDPOINT", "http://127.0.0.1:8000"))
    steps = json.load(open(SCENARIOS))["steps"]
    answers, passed, failed, departed = {}, 0, 0, 0
    started = time.time()
    for step in steps:
        if only and not step["id"].startswith(only):
            continue
        got, err = None, None
        try:
            got = drv.run_op(step["op"], step.get("params", {}))
        except StepError as e:
            err = e
        except Exception as e:  # noqa: BLE001 - a driver failure is a failure
            err = StepError("DriverError", None, "%s: %s" % (
                type(e).__name__, e))
            traceback.print_exc()
        if step.get("cleanup"):
            continue  # tidies up after a departure; neither checked nor kept
        problems = check_step(step, got, err)
        if got is not None and step.get("save"):
            for var, path in step["save"].items():
                drv.vars[var] = get_path(got, path)
        why = step.get("departs", {}).get(target)
        if why:
            departed += 1
            print("DEPARTS %s: %s (%s)" % (
                step["id"], why, "observed: " + "; ".join(problems) if problems
                else "NOT observed: the answer follows the documentation"))
            continue
        answers[step["id"]] = answer_of(step, got, err)
        if problems:
            failed += 1
            print("FAIL %s: %s" % (step["id"], "; ".join(problems)))
        else:
            passed += 1
    with open(answers_path, "w") as f:
        json.dump(answers, f, indent=1, sort_keys=True)
    print("conformance (boto3 vs %s, %.1f s): %d passed, %d failed, "
          "%d departures" % (target, time.time() - started, passed, failed,
                             departed))
    return 1 if failed else 0


def by_value(v):
    """JSON numbers compare by value (1.0 == 1): drivers differ in that."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, dict):
        return {k: by_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [by_value(x) for x in v]
    return v


def compare(a_path, b_path):
    a = by_value(json.load(open(a_path)))
    b = by_value(json.load(open(b_path)))
    both = sorted(set(a) & set(b))
    differ = 0
    values = 0
    for sid in both:
        for k in sorted(set(a[sid]) | set(b[sid])):
            values += 1
            va, vb = a[sid].get(k, ABSENT), b[sid].get(k, ABSENT)
            if canon(va) != canon(vb):
                differ += 1
                print("DIFFER %s %s: %s vs %s" % (sid, k, canon(va), canon(vb)))
    only = sorted(set(a) ^ set(b))
    print("compared %d steps (%d answers): %d differ; %d steps in one file "
          "only (departures): %s" % (len(both), values, differ, len(only),
                                     " ".join(only)))
    return 1 if differ else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "run":
        target = argv[argv.index("--target") + 1]
        out = argv[argv.index("--answers") + 1]
        only = argv[argv.index("--only") + 1] if "--only" in argv else None
        return run(target, out, only)
    if len(argv) == 4 and argv[1] == "compare":
        return compare(argv[2], argv[3])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
