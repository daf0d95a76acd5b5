"""A downstream consumer of a table's stream through godwit serve
(tests/cli/serve_migrate_test.cc): reads every shard of TABLE's stream
from its first record to its end, as a search indexer would, with boto3's
DynamoDB Streams client.

    consumer.py ENDPOINT TABLE

Prints one JSON line: the number of records read and the greatest
SequenceNumber among them (what the consumer acknowledges with `godwit
consumer ack`). Exit 77 if boto3 is missing.
"""
import json
import sys
import time

try:
    import boto3
    from botocore.config import Config
except ImportError:
    print("boto3 is not installed", file=sys.stderr)
    sys.exit(77)

endpoint, table = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="test", aws_secret_access_key="test",
          config=Config(retries={"max_attempts": 3}))
ddb = boto3.client("dynamodb", **kw)
streams = boto3.client("dynamodbstreams", **kw)

arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
shards, start = [], None
while True:
    args = {"StreamArn": arn}
    if start:
        args["ExclusiveStartShardId"] = start
    d = streams.describe_stream(**args)["StreamDescription"]
    shards += d["Shards"]
    start = d.get("LastEvaluatedShardId")
    if not start:
        break

records, greatest = 0, None
deadline = time.time() + 120
for shard in shards:
    it = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"],
        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    empty = 0
    # An open shard never ends: read it until two empty pages in a row.
    while it and empty < 2 and time.time() < deadline:
        page = streams.get_records(ShardIterator=it, Limit=1000)
        it = page.get("NextShardIterator")
        if not page["Records"]:
            empty += 1
            continue
        empty = 0
        for r in page["Records"]:
            records += 1
            seq = int(r["dynamodb"]["SequenceNumber"])
            greatest = seq if greatest is None else max(greatest, seq)

print(json.dumps({"records": records,
                  "greatest": str(greatest) if greatest is not None else ""}))
