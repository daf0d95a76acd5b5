// Runs tests/server/conformance/scenarios.json with the AWS SDK for
// JavaScript v3 (@aws-sdk/client-dynamodb, @aws-sdk/client-dynamodb-streams)
// against a server: the JS twin of tests/server/conformance.py, writing the
// same answer format so that the two can be compared.
//
//   GODWIT_ENDPOINT=http://127.0.0.1:PORT node conformance.mjs \
//       --target godwit --answers OUT.json
//
// Exit codes: 0 all passed; 1 a failure (printed); 77 the SDK is not
// installed (run `npm ci` here). Run by tests/server/conformance_test.cc.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = join(HERE, "..", "server", "conformance", "scenarios.json");
const ABSENT = "<absent>";

let ddbmod, streamsmod;
try {
  ddbmod = await import("@aws-sdk/client-dynamodb");
  streamsmod = await import("@aws-sdk/client-dynamodb-streams");
} catch (e) {
  console.log(`the AWS SDK for JavaScript is not installed: ${e.message}`);
  process.exit(77);
}

// ---- values ---------------------------------------------------------------

function expand(v, i) {
  if (Array.isArray(v)) return v.map((x) => expand(x, i));
  if (v && typeof v === "object") {
    if ("@range" in v) {
      const [a, b] = v["@range"];
      const out = [];
      for (let k = a; k < b; k++) out.push(expand(v["@each"], k));
      return out;
    }
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = expand(x, i);
    return o;
  }
  if (v === "@i" && i !== undefined) return String(i);
  if (v === "@even" && i !== undefined) return i % 2 === 0;
  return v;
}

function lookupVar(vars, ref) {
  const parts = ref.slice(1).split(".");
  let v = vars[parts[0]];
  for (const p of parts.slice(1)) v = Array.isArray(v) ? v[Number(p)] : v[p];
  return v;
}

function substitute(v, vars) {
  if (Array.isArray(v)) return v.map((x) => substitute(x, vars));
  if (v && typeof v === "object") {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = substitute(x, vars);
    return o;
  }
  if (typeof v === "string" && v.startsWith("$") &&
      v.slice(1).split(".")[0] in vars) {
    return lookupVar(vars, v);
  }
  return v;
}

// Scenario JSON -> SDK input: B/BS base64 text -> Uint8Array.
function toWire(v) {
  if (Array.isArray(v)) return v.map(toWire);
  if (v && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "B" && typeof v.B === "string") {
      return { B: new Uint8Array(Buffer.from(v.B, "base64")) };
    }
    if (keys.length === 1 && keys[0] === "BS" && Array.isArray(v.BS)) {
      return { BS: v.BS.map((x) => new Uint8Array(Buffer.from(x, "base64"))) };
    }
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = toWire(x);
    return o;
  }
  return v;
}

// SDK answer -> comparable JSON: bytes as base64, sets sorted, dates as text.
function normalise(v) {
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === "object") {
    const o = {};
    for (const [k, x] of Object.entries(v)) {
      if (x !== undefined) o[k] = normalise(x);
    }
    const keys = Object.keys(o);
    if (keys.length === 1 && ["SS", "NS", "BS"].includes(keys[0]) &&
        Array.isArray(o[keys[0]])) {
      o[keys[0]] = [...o[keys[0]]].sort();
    }
    return o;
  }
  return v;
}

function canon(v) {
  if (Array.isArray(v)) return "[" + v.map(canon).join(",") + "]";
  if (v && typeof v === "object") {
    return "{" + Object.keys(v).sort()
      .map((k) => JSON.stringify(k) + ":" + canon(v[k])).join(",") + "}";
  }
  return JSON.stringify(v);
}

function getPath(doc, path) {
  let v = doc;
  for (const p of path.split(".")) {
    if (p === "#present") return v !== ABSENT;
    if (v === ABSENT) return ABSENT;
    if (p === "#len") return v.length;
    if (p === "#sorted") return [...v].sort((a, b) => (canon(a) < canon(b) ? -1 : canon(a) > canon(b) ? 1 : 0));
    if (p === "#tables") return [...new Set(v.map((x) => x.TableName))].sort();
    if (Array.isArray(v)) {
      const k = Number(p);
      v = Number.isInteger(k) && k < v.length ? v[k] : ABSENT;
    } else if (v && typeof v === "object") {
      v = p in v ? v[p] : ABSENT;
    } else {
      return ABSENT;
    }
  }
  return v;
}

// ---- the driver -----------------------------------------------------------

class StepError extends Error {
  constructor(code, status, message) {
    super(`${code} (HTTP ${status}): ${message}`);
    this.code = code;
    this.status = status;
  }
}

const ENDPOINT = process.env.GODWIT_ENDPOINT || "http://127.0.0.1:8000";
const clientConfig = {
  endpoint: ENDPOINT,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
};
const ddb = new ddbmod.DynamoDBClient(clientConfig);
const streams = new streamsmod.DynamoDBStreamsClient(clientConfig);
const vars = {};

async function call(op, params) {
  let client = ddb, mod = ddbmod;
  if (op.startsWith("streams:")) {
    client = streams;
    mod = streamsmod;
    op = op.slice("streams:".length);
  }
  const Command = mod[`${op}Command`];
  if (!Command) throw new Error(`no command ${op}`);
  let r;
  try {
    r = await client.send(new Command(toWire(params)));
  } catch (e) {
    if (e.$metadata) {
      throw new StepError(e.name, e.$metadata.httpStatusCode, e.message);
    }
    throw e;
  }
  const out = { ...r };
  delete out.$metadata;
  return normalise(out);
}

async function runOp(op, params) {
  params = substitute(expand(params), vars);
  if (op === "@paginate") return paginate(params);
  if (op === "@stream") return stream(params);
  if (op === "@describe-stream") {
    const arn = (await call("DescribeTable", { TableName: params.table })).Table.LatestStreamArn;
    return call("streams:DescribeStream", { StreamArn: arn });
  }
  if (op === "@foreach") {
    for (const t of params.tables) {
      vars.table = t;
      for (const s of params.steps) await runOp(s.op, s.params);
    }
    return {};
  }
  if (op === "@raw") return raw(params.target, params.body);
  return call(op, params);
}

async function paginate(p) {
  const segments = p.segments;
  const out = { Items: [], Count: 0, ScannedCount: 0, Pages: 0 };
  for (let seg = 0; seg < (segments || 1); seg++) {
    const req = structuredClone(p.params);
    if (segments) {
      req.Segment = seg;
      req.TotalSegments = segments;
    }
    for (let n = 0; n < 1000; n++) {
      const r = await call(p.op, req);
      out.Items.push(...(r.Items || []));
      out.Count += r.Count;
      out.ScannedCount += r.ScannedCount;
      out.Pages += 1;
      if (!r.LastEvaluatedKey) break;
      req.ExclusiveStartKey = r.LastEvaluatedKey;
    }
  }
  if (p.sort) out.Items.sort((a, b) => (canon(a) < canon(b) ? -1 : canon(a) > canon(b) ? 1 : 0));
  return out;
}

async function stream(p) {
  const arn = (await call("DescribeTable", { TableName: p.table })).Table.LatestStreamArn;
  const desc = await call("streams:DescribeStream", { StreamArn: arn });
  const shard = desc.StreamDescription.Shards[0].ShardId;
  const req = { StreamArn: arn, ShardId: shard, ShardIteratorType: p.type };
  if (p.seq !== undefined) req.SequenceNumber = p.seq;
  let it = (await call("streams:GetShardIterator", req)).ShardIterator;
  for (const s of p.then || []) await runOp(s.op, s.params);
  const records = [];
  for (let n = 0; n < 50; n++) {
    const r = await call("streams:GetRecords", { ShardIterator: it, Limit: 100 });
    records.push(...r.Records);
    it = r.NextShardIterator;
    if (!r.Records.length || !it) break;
  }
  const seqs = records.map((r) => r.dynamodb.SequenceNumber);
  const norm = records.map((r) => {
    const d = { ...r.dynamodb };
    delete d.ApproximateCreationDateTime;
    delete d.SequenceNumber;
    delete d.SizeBytes;
    return { eventName: r.eventName, eventSource: r.eventSource, dynamodb: d };
  });
  return {
    Records: norm,
    EventNames: records.map((r) => r.eventName),
    EventVersions: records.map((r) => r.eventVersion),
    Sequences: seqs,
    SequencesIncreasing: seqs.every((s, i) => i === 0 || BigInt(seqs[i - 1]) < BigInt(s)),
  };
}

async function raw(target, body) {
  const resp = await fetch(ENDPOINT + "/", {
    method: "POST",
    body,
    headers: {
      "X-Amz-Target": target,
      "Content-Type": "application/x-amz-json-1.0",
      Authorization: "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
    },
    signal: AbortSignal.timeout(30000),
  });
  const text = await resp.text();
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = { body: text.slice(0, 200) };
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) doc = { body: doc };
  doc.status = resp.status;
  return doc;
}

function same(a, b) {
  return canon(normalise(a)) === canon(normalise(b));
}

function checkStep(step, got, err) {
  const wantErr = step.error;
  if (wantErr) {
    if (!err) return [`expected ${wantErr}, the call succeeded`];
    if (err.code !== wantErr) return [`expected ${wantErr}, got ${err.message}`];
    if (err.status !== undefined && err.status !== 400) {
      return [`expected HTTP 400 for ${wantErr}, got ${err.status}`];
    }
    return [];
  }
  if (err) return [`unexpected error ${err.message}`];
  const problems = [];
  for (const [path, want] of Object.entries(expand(step.expect || {}))) {
    const have = getPath(got, path);
    if (want === ABSENT) {
      if (have !== ABSENT) problems.push(`${path}: expected absent, got ${canon(have)}`);
    } else if (have === ABSENT || !same(have, want)) {
      problems.push(`${path}: expected ${canon(want)}, got ${have === ABSENT ? "absent" : canon(have)}`);
    }
  }
  return problems;
}

function answerOf(step, got, err) {
  if (err) return { error: err.code };
  const out = {};
  for (const path of [...Object.keys(step.expect || {}), ...(step.compare || [])]) {
    const v = getPath(got, path);
    out[path] = v === ABSENT ? ABSENT : normalise(v);
  }
  return out;
}

async function main() {
  const argv = process.argv.slice(2);
  const target = argv[argv.indexOf("--target") + 1];
  const answersPath = argv[argv.indexOf("--answers") + 1];
  const steps = JSON.parse(readFileSync(SCENARIOS, "utf8")).steps;
  const answers = {};
  let passed = 0, failed = 0, departed = 0;
  const started = Date.now();
  for (const step of steps) {
    let got = null, err = null;
    try {
      got = await runOp(step.op, step.params || {});
    } catch (e) {
      err = e instanceof StepError ? e : new StepError("DriverError", undefined, `${e.name}: ${e.message}`);
      if (!(e instanceof StepError)) console.log(e.stack);
    }
    if (step.cleanup) continue;
    const problems = checkStep(step, got, err);
    if (got && step.save) {
      for (const [v, path] of Object.entries(step.save)) vars[v] = getPath(got, path);
    }
    const why = (step.departs || {})[target];
    if (why) {
      departed++;
      console.log(`DEPARTS ${step.id}: ${why} (${problems.length ? "observed: " + problems.join("; ") : "NOT observed: the answer follows the documentation"})`);
      continue;
    }
    answers[step.id] = answerOf(step, got, err);
    if (problems.length) {
      failed++;
      console.log(`FAIL ${step.id}: ${problems.join("; ")}`);
    } else {
      passed++;
    }
  }
  writeFileSync(answersPath, JSON.stringify(answers, null, 1));
  console.log(`conformance (AWS SDK for JavaScript v3 vs ${target}, ${((Date.now() - started) / 1000).toFixed(1)} s): ${passed} passed, ${failed} failed, ${departed} departures`);
  ddb.destroy();
  streams.destroy();
  process.exit(failed ? 1 : 0);
}

await main();
