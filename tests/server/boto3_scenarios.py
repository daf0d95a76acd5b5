#!/usr/bin/env python3
"""DynamoDB and DynamoDB Streams scenarios driven by boto3 against a server.

Usage: GODWIT_ENDPOINT=http://127.0.0.1:PORT python3 boto3_scenarios.py

Run by tests/server/server_test.cc (Boto3.Scenarios) against an in-process
`godwit serve`. Exit code 0: every scenario passed; 1: a failure (printed);
77: boto3 is not installed (the C++ test reports a skip).
"""
import os
import sys
import traceback

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError as e:  # pragma: no cover
    print("boto3 is not installed: %s" % e)
    sys.exit(77)

ENDPOINT = os.environ.get("GODWIT_ENDPOINT", "http://127.0.0.1:8000")
CFG = Config(
    region_name="us-east-1",
    retries={"max_attempts": 1, "mode": "standard"},
    connect_timeout=5,
    read_timeout=10,
)


def client(service):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=CFG,
    )


ddb = client("dynamodb")
streams = client("dynamodbstreams")


def expect_error(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, "expected %s, got %s: %s" % (
            code, got, e.response["Error"].get("Message"))
        return e
    raise AssertionError("expected %s, call succeeded" % code)


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def create_orders(name, stream=True):
    kwargs = dict(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    if stream:
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
    return ddb.create_table(**kwargs)


def scenario_tables():
    r = create_orders("Orders")
    d = r["TableDescription"]
    assert d["TableStatus"] == "ACTIVE", d
    assert d["KeySchema"][0] == {"AttributeName": "pk", "KeyType": "HASH"}
    assert "LatestStreamArn" in d
    create_orders("Customers", stream=False)
    expect_error("ResourceInUseException", create_orders, "Orders")
    expect_error(
        "ValidationException",
        ddb.create_table,
        TableName="Bad",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "x", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    d = ddb.describe_table(TableName="Orders")["Table"]
    assert d["ItemCount"] == 0
    assert d["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    names = ddb.list_tables()["TableNames"]
    assert "Orders" in names and "Customers" in names, names
    assert not any(n.startswith("godwit_") for n in names), names
    page = ddb.list_tables(Limit=1)
    assert page["TableNames"] == ["Customers"], page
    assert page["LastEvaluatedTableName"] == "Customers"
    page2 = ddb.list_tables(Limit=1, ExclusiveStartTableName="Customers")
    assert page2["TableNames"] == ["Orders"], page2
    expect_error("ResourceNotFoundException", ddb.describe_table,
                 TableName="Nope")
    # UpdateTable: turn the stream of Customers on, then off.
    u = ddb.update_table(TableName="Customers", StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    assert u["TableDescription"]["StreamSpecification"]["StreamViewType"] == \
        "KEYS_ONLY"
    ddb.update_table(TableName="Customers",
                     StreamSpecification={"StreamEnabled": False})
    d = ddb.describe_table(TableName="Customers")["Table"]
    assert "LatestStreamArn" not in d
    ddb.delete_table(TableName="Customers")
    expect_error("ResourceNotFoundException", ddb.describe_table,
                 TableName="Customers")


def scenario_items():
    item = {"pk": S("a"), "sk": N(1), "total": N("12.50"), "tags": {
        "SS": ["x", "y"]}}
    r = ddb.put_item(TableName="Orders", Item=item,
                     ConditionExpression="attribute_not_exists(pk)",
                     ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 1.0, r
    expect_error("ConditionalCheckFailedException", ddb.put_item,
                 TableName="Orders", Item=item,
                 ConditionExpression="attribute_not_exists(pk)")
    g = ddb.get_item(TableName="Orders", Key={"pk": S("a"), "sk": N(1)},
                     ReturnConsumedCapacity="TOTAL")
    assert g["Item"]["total"] == N("12.5"), g  # numbers are normalised
    assert g["ConsumedCapacity"]["CapacityUnits"] == 0.5, g
    g = ddb.get_item(TableName="Orders", Key={"pk": S("a"), "sk": N(1)},
                     ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert g["ConsumedCapacity"]["CapacityUnits"] == 1.0, g
    g = ddb.get_item(TableName="Orders", Key={"pk": S("a"), "sk": N(1)},
                     ProjectionExpression="#t", ExpressionAttributeNames={
                         "#t": "total"})
    assert g["Item"] == {"total": N("12.5")}, g
    assert "Item" not in ddb.get_item(TableName="Orders",
                                      Key={"pk": S("zz"), "sk": N(1)})
    expect_error("ValidationException", ddb.get_item, TableName="Orders",
                 Key={"pk": S("a")})
    # Update expressions and ReturnValues.
    u = ddb.update_item(
        TableName="Orders", Key={"pk": S("a"), "sk": N(1)},
        UpdateExpression="SET #s = :s ADD n :one REMOVE tags",
        ConditionExpression="#t = :t",
        ExpressionAttributeNames={"#s": "status", "#t": "total"},
        ExpressionAttributeValues={":s": S("paid"), ":one": N(1),
                                   ":t": N("12.5")},
        ReturnValues="UPDATED_NEW")
    assert u["Attributes"] == {"status": S("paid"), "n": N(1)}, u
    u = ddb.update_item(
        TableName="Orders", Key={"pk": S("a"), "sk": N(1)},
        UpdateExpression="SET n = n + :one",
        ExpressionAttributeValues={":one": N(1)}, ReturnValues="ALL_NEW")
    assert u["Attributes"]["n"] == N(2), u
    assert "tags" not in u["Attributes"]
    expect_error("ConditionalCheckFailedException", ddb.update_item,
                 TableName="Orders", Key={"pk": S("a"), "sk": N(1)},
                 UpdateExpression="SET n = :z",
                 ConditionExpression="n = :z",
                 ExpressionAttributeValues={":z": N(0)})
    # An update of a missing item creates it.
    u = ddb.update_item(TableName="Orders", Key={"pk": S("b"), "sk": N(1)},
                        UpdateExpression="SET v = :v",
                        ExpressionAttributeValues={":v": S("new")},
                        ReturnValues="ALL_OLD")
    assert "Attributes" not in u, u
    # Validation errors on bad expressions.
    expect_error("ValidationException", ddb.update_item, TableName="Orders",
                 Key={"pk": S("a"), "sk": N(1)}, UpdateExpression="SET = 1")
    expect_error("ValidationException", ddb.put_item, TableName="Orders",
                 Item=item, ConditionExpression="attribute_exists(pk)",
                 ExpressionAttributeValues={":unused": N(1)})
    expect_error("ValidationException", ddb.update_item, TableName="Orders",
                 Key={"pk": S("a"), "sk": N(1)},
                 UpdateExpression="SET pk = :v",
                 ExpressionAttributeValues={":v": S("x")})
    # Delete with a condition and ALL_OLD.
    expect_error("ConditionalCheckFailedException", ddb.delete_item,
                 TableName="Orders", Key={"pk": S("b"), "sk": N(1)},
                 ConditionExpression="v = :x",
                 ExpressionAttributeValues={":x": S("other")})
    d = ddb.delete_item(TableName="Orders", Key={"pk": S("b"), "sk": N(1)},
                        ConditionExpression="v = :x",
                        ExpressionAttributeValues={":x": S("new")},
                        ReturnValues="ALL_OLD")
    assert d["Attributes"]["v"] == S("new"), d
    expect_error("ResourceNotFoundException", ddb.put_item, TableName="Nope",
                 Item=item)


def scenario_batch_query_scan():
    reqs = [{"PutRequest": {"Item": {"pk": S("q"), "sk": N(i),
                                     "even": {"BOOL": i % 2 == 0}}}}
            for i in range(25)]
    r = ddb.batch_write_item(RequestItems={"Orders": reqs})
    assert r["UnprocessedItems"] == {}, r
    too_many = reqs + [{"PutRequest": {"Item": {"pk": S("q"), "sk": N(99)}}}]
    expect_error("ValidationException", ddb.batch_write_item,
                 RequestItems={"Orders": too_many})
    dup = [reqs[0], reqs[0]]
    expect_error("ValidationException", ddb.batch_write_item,
                 RequestItems={"Orders": dup})
    g = ddb.batch_get_item(RequestItems={"Orders": {"Keys": [
        {"pk": S("q"), "sk": N(i)} for i in range(0, 25, 5)] + [
        {"pk": S("missing"), "sk": N(0)}]}})
    assert len(g["Responses"]["Orders"]) == 5, g
    assert g["UnprocessedKeys"] == {}
    # Query pagination.
    seen = []
    kwargs = dict(TableName="Orders", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": S("q")}, Limit=7)
    while True:
        page = ddb.query(**kwargs)
        seen += [int(i["sk"]["N"]) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert seen == list(range(25)), seen
    back = ddb.query(TableName="Orders", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": S("q")},
                     ScanIndexForward=False, Limit=3)
    assert [int(i["sk"]["N"]) for i in back["Items"]] == [24, 23, 22], back
    rng = ddb.query(TableName="Orders",
                    KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                    FilterExpression="even = :t",
                    ProjectionExpression="sk",
                    ExpressionAttributeValues={":p": S("q"), ":a": N(3),
                                               ":b": N(9), ":t": {"BOOL": True}})
    assert [i["sk"]["N"] for i in rng["Items"]] == ["4", "6", "8"], rng
    assert rng["Count"] == 3 and rng["ScannedCount"] == 7, rng
    c = ddb.query(TableName="Orders", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": S("q")}, Select="COUNT")
    assert c["Count"] == 25 and "Items" not in c, c
    expect_error("ValidationException", ddb.query, TableName="Orders",
                 KeyConditionExpression="sk = :p",
                 ExpressionAttributeValues={":p": N(1)})
    # Scan: segments partition the table; pages cover a segment.
    full = ddb.scan(TableName="Orders")
    total = full["Count"]
    assert total == 26, full  # 25 + item "a"
    union = []
    for seg in range(4):
        kwargs = dict(TableName="Orders", Segment=seg, TotalSegments=4,
                      Limit=4)
        while True:
            page = ddb.scan(**kwargs)
            union += [(i["pk"]["S"], i["sk"]["N"]) for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert sorted(union) == sorted(
        (i["pk"]["S"], i["sk"]["N"]) for i in full["Items"]), union
    c = ddb.scan(TableName="Orders", Select="COUNT",
                 FilterExpression="attribute_exists(even)")
    assert c["Count"] == 25, c
    expect_error("ValidationException", ddb.scan, TableName="Orders",
                 Segment=4, TotalSegments=4)


def scenario_streams():
    arn = ddb.describe_table(TableName="Orders")["Table"]["LatestStreamArn"]
    ls = streams.list_streams(TableName="Orders")["Streams"]
    assert ls and ls[0]["StreamArn"] == arn, ls
    desc = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert desc["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    shard = desc["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                    ShardIteratorType="TRIM_HORIZON")
    records = []
    cursor = it["ShardIterator"]
    for _ in range(100):
        r = streams.get_records(ShardIterator=cursor, Limit=10)
        records += r["Records"]
        cursor = r["NextShardIterator"]
        if not r["Records"]:
            break
    names = [r["eventName"] for r in records]
    # put a, update a (x2), create b, delete b, 25 batch puts.
    assert names[:5] == ["INSERT", "MODIFY", "MODIFY", "INSERT", "REMOVE"], \
        names
    assert len(names) == 30, names
    first = records[0]
    assert first["eventSource"] == "aws:dynamodb"
    assert first["dynamodb"]["Keys"] == {"pk": S("a"), "sk": N(1)}
    assert "OldImage" not in first["dynamodb"]
    assert first["dynamodb"]["NewImage"]["total"] == N("12.5")
    mod = records[1]["dynamodb"]
    assert mod["OldImage"]["tags"] == {"SS": ["x", "y"]}, mod
    assert mod["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
    after = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
        SequenceNumber=seqs[2])["ShardIterator"]
    r = streams.get_records(ShardIterator=after, Limit=2)
    assert [x["dynamodb"]["SequenceNumber"] for x in r["Records"]] == \
        seqs[3:5], r
    at = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=seqs[2])["ShardIterator"]
    r = streams.get_records(ShardIterator=at, Limit=1)
    assert r["Records"][0]["dynamodb"]["SequenceNumber"] == seqs[2]
    latest = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard,
        ShardIteratorType="LATEST")["ShardIterator"]
    assert streams.get_records(ShardIterator=latest)["Records"] == []
    ddb.put_item(TableName="Orders", Item={"pk": S("late"), "sk": N(0)})
    r = streams.get_records(ShardIterator=latest)
    assert [x["eventName"] for x in r["Records"]] == ["INSERT"], r
    expect_error("ValidationException", streams.get_records,
                 ShardIterator="garbage!")


def scenario_auth():
    """Run against a server started with --auth keys: AKIDGODWIT / secret."""
    good = boto3.client("dynamodb", endpoint_url=ENDPOINT,
                        aws_access_key_id="AKIDGODWIT",
                        aws_secret_access_key="secret", config=CFG)
    assert "TableNames" in good.list_tables()
    bad = boto3.client("dynamodb", endpoint_url=ENDPOINT,
                       aws_access_key_id="AKIDGODWIT",
                       aws_secret_access_key="wrong", config=CFG)
    expect_error("InvalidSignatureException", bad.list_tables)
    unknown = boto3.client("dynamodb", endpoint_url=ENDPOINT,
                           aws_access_key_id="NOBODY",
                           aws_secret_access_key="secret", config=CFG)
    expect_error("UnrecognizedClientException", unknown.list_tables)


def read_lineage(arn):
    """Every record of the stream, each shard after its parent, each to its
    end (no NextShardIterator) or, open, to 3 empty pages in a row."""
    shards, start = [], None
    while True:
        kw = dict(StreamArn=arn)
        if start:
            kw["ExclusiveStartShardId"] = start
        d = streams.describe_stream(**kw)["StreamDescription"]
        shards += d["Shards"]
        start = d.get("LastEvaluatedShardId")
        if not start:
            break
    ids = {s["ShardId"] for s in shards}
    done, records, misleading = set(), [], 0
    while len(done) < len(shards):
        progress = False
        for s in shards:
            sid, parent = s["ShardId"], s.get("ParentShardId")
            if sid in done or (parent in ids and parent not in done):
                continue
            closed = "EndingSequenceNumber" in s["SequenceNumberRange"]
            it = streams.get_shard_iterator(
                StreamArn=arn, ShardId=sid,
                ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            empties = 0
            for _ in range(2000):
                r = streams.get_records(ShardIterator=it)
                if r["Records"]:
                    misleading += empties
                    empties = 0
                else:
                    empties += 1
                records += r["Records"]
                if "NextShardIterator" not in r:
                    break  # closed (perhaps since it was described)
                if not closed and empties >= 3:
                    break
                it = r["NextShardIterator"]
            done.add(sid)
            progress = True
        assert progress, "a parent is never read"
    return shards, records, misleading


def scenario_faithful():
    """Against `godwit serve --stream-shards 3 --shard-rotate-seconds 1
    --stream-page-max 5 --stream-empty-page-rate 0.3 --iterator-ttl-seconds 3
    --ttl-scan-seconds 0.2` (tests/server/faithful_stream_test.cc)."""
    import time
    ddb.create_table(
        TableName="Faith",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True,
                             "StreamViewType": "NEW_AND_OLD_IMAGES"})
    arn = ddb.describe_table(TableName="Faith")["Table"]["LatestStreamArn"]
    written = {}
    for rnd in range(3):
        for i in range(30):
            k = "k%d" % ((i * 7 + rnd) % 20)
            written[k] = written.get(k, 0) + 1
            ddb.put_item(TableName="Faith",
                         Item={"pk": S(k), "v": N(written[k])})
        time.sleep(1.1)
        streams.describe_stream(StreamArn=arn)  # rotates what is due
    shards, records, _ = read_lineage(arn)
    assert len(shards) > 3, shards
    assert any("ParentShardId" in s for s in shards), shards
    assert len(records) == 90, len(records)
    seen = {}
    for r in records:
        k = r["dynamodb"]["Keys"]["pk"]["S"]
        v = int(r["dynamodb"]["NewImage"]["v"]["N"])
        assert v == seen.get(k, 0) + 1, (k, v, seen.get(k))
        seen[k] = v
    assert seen == written, (seen, written)
    # An iterator older than --iterator-ttl-seconds has expired.
    open_shard = [s for s in shards
                  if "EndingSequenceNumber" not in s["SequenceNumberRange"]][0]
    old = streams.get_shard_iterator(
        StreamArn=arn, ShardId=open_shard["ShardId"],
        ShardIteratorType="LATEST")["ShardIterator"]
    time.sleep(3.2)
    expect_error("ExpiredIteratorException", streams.get_records,
                 ShardIterator=old)
    # Time to Live: the expirer's REMOVE carries the service's identity.
    ddb.update_time_to_live(
        TableName="Faith",
        TimeToLiveSpecification={"AttributeName": "exp", "Enabled": True})
    ttl = ddb.describe_time_to_live(TableName="Faith")
    assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED", ttl
    ddb.put_item(TableName="Faith",
                 Item={"pk": S("gone"), "exp": N(int(time.time()) - 5)})
    deadline = time.time() + 20
    while time.time() < deadline:
        if "Item" not in ddb.get_item(TableName="Faith",
                                      Key={"pk": S("gone")}):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the expirer never deleted the item")
    _, records, _ = read_lineage(arn)
    removes = [r for r in records if r["eventName"] == "REMOVE"]
    assert len(removes) == 1, removes
    assert removes[0]["userIdentity"] == {
        "Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}, removes


def main():
    failed = 0
    scenarios = (scenario_tables, scenario_items, scenario_batch_query_scan,
                 scenario_streams)
    if os.environ.get("GODWIT_SCENARIO") == "auth":
        scenarios = (scenario_auth,)
    if os.environ.get("GODWIT_SCENARIO") == "faithful":
        scenarios = (scenario_faithful,)
    for fn in scenarios:
        try:
            fn()
            print("PASS %s" % fn.__name__)
        except Exception:  # noqa: BLE001 - report every scenario
            failed += 1
            print("FAIL %s" % fn.__name__)
            traceback.print_exc()
            break  # later scenarios depend on earlier state
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
