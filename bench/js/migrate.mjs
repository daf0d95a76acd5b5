// The Orders re-key migration written the way users write it with the AWS
// SDK for JavaScript v3: a parallel segmented Scan of the source table, the
// transform of examples/migrations/Orders/0002_key_by_customer.lua in plain
// JavaScript, and BatchWriteItem in chunks of 25 into a new table,
// re-sending UnprocessedItems with exponential backoff and full jitter.
// scripts/bench-remote times it next to `godwit migrate` against the same
// `godwit serve`.
//
//   node migrate.mjs ENDPOINT SOURCE DESTINATION [SEGMENTS [CONCURRENCY]]
//
// SEGMENTS is Scan's TotalSegments (default 16, godwit migrate's default);
// CONCURRENCY is how many segments are worked on at once (default: all of
// them). Each segment worker scans a page (ConsistentRead, the SDK's default
// 1 MB page), transforms it and writes it in chunks of 25, one BatchWriteItem
// after the other, then asks for the next page. The SDK's own retries are
// left at their defaults (standard mode, maxAttempts 3). Items stay in the
// low-level AttributeValue form (no DocumentClient marshalling), which is the
// cheaper way to write this.
//
// Credentials and region come from the environment as usual; dummy ones are
// filled in when absent (godwit serve without --auth accepts any).
//
// Prints one JSON line on stdout: items scanned and written, wall and CPU
// seconds (process.cpuUsage(): user + system of this process), retries.
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  ScanCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();

const [endpoint, source, destination, segArg, concArg] = process.argv.slice(2);
if (!endpoint || !source || !destination) {
  console.error(
    'usage: node migrate.mjs ENDPOINT SOURCE DESTINATION [SEGMENTS [CONCURRENCY]]');
  process.exit(2);
}
const totalSegments = Number(segArg ?? 16);
const concurrency = Math.min(Number(concArg ?? totalSegments), totalSegments);
if (!(totalSegments >= 1) || !(concurrency >= 1)) {
  console.error('SEGMENTS and CONCURRENCY must be positive integers');
  process.exit(2);
}

process.env.AWS_ACCESS_KEY_ID ??= 'bench';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
const client = new DynamoDBClient({
  endpoint,
  region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
});

const stats = {
  scanned: 0,
  written: 0,
  scan_pages: 0,
  batch_requests: 0,
  unprocessed_retries: 0,   // BatchWriteItem calls re-sending UnprocessedItems
  unprocessed_items: 0,     // items that came back unprocessed
  sdk_retries: 0,           // the SDK's own retries ($metadata.attempts - 1)
};

function countSdkRetries(out) {
  const attempts = out?.$metadata?.attempts ?? 1;
  stats.sdk_retries += Math.max(0, attempts - 1);
}

// up() of examples/migrations/Orders/0002_key_by_customer.lua.
function up(item) {
  const m = /^ORDER#(.+)$/.exec(item.pk?.S ?? '');
  if (m === null) throw new Error(`not an order key: ${JSON.stringify(item.pk)}`);
  const customerId = item.customerId?.S;
  if (typeof customerId !== 'string') throw new Error(`order ${m[1]} has no customerId`);
  const out = { ...item };
  out.pk = { S: `CUST#${customerId}` };
  out.sk = { S: `ORDER#${m[1]}` };
  if (item.status !== undefined) out.orderStatus = item.status;
  delete out.status;
  out.itemCount = { N: String(item.items?.L ? item.items.L.length : 0) };
  return out;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const BASE_MS = 50;
const CAP_MS = 5000;
const MAX_ATTEMPTS = 10;

async function batchWrite(items) {
  let requests = items.map((Item) => ({ PutRequest: { Item } }));
  for (let attempt = 0; ; attempt++) {
    const out = await client.send(new BatchWriteItemCommand({
      RequestItems: { [destination]: requests },
    }));
    stats.batch_requests++;
    countSdkRetries(out);
    const left = out.UnprocessedItems?.[destination] ?? [];
    stats.written += requests.length - left.length;
    if (left.length === 0) return;
    if (attempt + 1 >= MAX_ATTEMPTS) {
      throw new Error(`${left.length} items still unprocessed after ${MAX_ATTEMPTS} attempts`);
    }
    stats.unprocessed_retries++;
    stats.unprocessed_items += left.length;
    requests = left;
    // Full jitter: sleep = random(0, min(cap, base * 2^attempt)).
    await sleep(Math.random() * Math.min(CAP_MS, BASE_MS * 2 ** attempt));
  }
}

async function copySegment(segment) {
  let ExclusiveStartKey;
  do {
    const page = await client.send(new ScanCommand({
      TableName: source,
      Segment: segment,
      TotalSegments: totalSegments,
      ConsistentRead: true,
      ExclusiveStartKey,
    }));
    stats.scan_pages++;
    countSdkRetries(page);
    const items = page.Items ?? [];
    stats.scanned += items.length;
    const mapped = items.map(up);
    for (let i = 0; i < mapped.length; i += 25) {
      await batchWrite(mapped.slice(i, i + 25));
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}

async function createDestination() {
  try {
    await client.send(new CreateTableCommand({
      TableName: destination,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }));
  } catch (e) {
    if (e.name !== 'ResourceInUseException') throw e;  // already there: reuse it
  }
  await waitUntilTableExists({ client, maxWaitTime: 300 }, { TableName: destination });
}

await createDestination();
const tCopy = process.hrtime.bigint();
let next = 0;
async function worker() {
  while (next < totalSegments) await copySegment(next++);
}
await Promise.all(Array.from({ length: concurrency }, worker));

const tEnd = process.hrtime.bigint();
const cpu = process.cpuUsage(cpu0);
const secs = (a, b) => Number(b - a) / 1e9;
const round = (x) => Math.round(x * 1000) / 1000;
console.log(JSON.stringify({
  tool: 'aws-sdk-js-v3',
  source,
  destination,
  segments: totalSegments,
  concurrency,
  ...stats,
  create_table_seconds: round(secs(t0, tCopy)),
  copy_seconds: round(secs(tCopy, tEnd)),
  wall_seconds: round(secs(t0, tEnd)),
  cpu_user_seconds: round(cpu.user / 1e6),
  cpu_system_seconds: round(cpu.system / 1e6),
  cpu_seconds: round((cpu.user + cpu.system) / 1e6),
  max_rss_mib: round(process.resourceUsage().maxRSS / 1024),
}));
client.destroy();
