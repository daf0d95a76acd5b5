// godwit_server_bench: a load generator for DynamoDB JSON 1.0 endpoints
// (godwit serve, moto_server) over loopback. One process, N keep-alive
// HTTP/1.1 connections (Boost.Beast, one thread each, closed loop: each
// connection sends its next request when the answer came).
//
//   godwit_server_bench --endpoint http://127.0.0.1:8000 --prepare
//   godwit_server_bench --endpoint http://127.0.0.1:8000 --op put
//       [--connections 4] [--seconds 10] [--label godwit]
//
// --prepare creates table Bench (pk S, sk N) and loads --partitions
// partitions of 10 items (sk 0..9, ~120 bytes each) with BatchWriteItem.
// Ops: put (PutItem, random partition, new or overwritten sk 10..1009),
// get (GetItem of a loaded key), batch (BatchWriteItem of 25 puts),
// query (Query of one random partition, Limit 10).
// Prints one Markdown table row:
//   | label | op | connections | requests | requests/s | items/s | p50 ms |
//   p99 ms | errors |
// Latency is per request, from sending it to reading the whole answer.
#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string host = "127.0.0.1";
  std::string port = "8000";
  std::string op;
  std::string label = "server";
  int connections = 4;
  double seconds = 10;
  int partitions = 200;
  bool prepare = false;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "godwit_server_bench: %s\nusage: godwit_server_bench "
               "--endpoint http://HOST:PORT (--prepare | --op "
               "put|get|batch|query) [--connections N] [--seconds S] "
               "[--partitions P] [--label NAME]\n",
               why);
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) Usage(("missing value for " + k).c_str());
      return argv[++i];
    };
    if (k == "--endpoint") {
      std::string e = val();
      if (e.rfind("http://", 0) == 0) e = e.substr(7);
      while (!e.empty() && e.back() == '/') e.pop_back();
      size_t c = e.rfind(':');
      if (c == std::string::npos) Usage("endpoint needs a port");
      a.host = e.substr(0, c);
      a.port = e.substr(c + 1);
    } else if (k == "--op") {
      a.op = val();
    } else if (k == "--label") {
      a.label = val();
    } else if (k == "--connections") {
      a.connections = std::atoi(val().c_str());
    } else if (k == "--seconds") {
      a.seconds = std::atof(val().c_str());
    } else if (k == "--partitions") {
      a.partitions = std::atoi(val().c_str());
    } else if (k == "--prepare") {
      a.prepare = true;
    } else {
      Usage(("unknown argument " + k).c_str());
    }
  }
  if (!a.prepare && a.op != "put" && a.op != "get" && a.op != "batch" &&
      a.op != "query") {
    Usage("--op must be put, get, batch or query");
  }
  if (a.connections < 1 || a.seconds <= 0 || a.partitions < 1) {
    Usage("bad --connections, --seconds or --partitions");
  }
  return a;
}

// One keep-alive connection.
class Conn {
 public:
  Conn(const Args& a) : args_(a), stream_(ioc_) {}

  // Sends one request; returns the HTTP status (0 on a transport error, after
  // which the connection is re-opened by the next call). *body gets the
  // answer.
  int Call(const std::string& target, const std::string& json,
           std::string* body = nullptr) {
    try {
      if (!open_) {
        tcp::resolver r(ioc_);
        stream_.connect(r.resolve(args_.host, args_.port));
        stream_.socket().set_option(tcp::no_delay(true));
        open_ = true;
      }
      http::request<http::string_body> req{http::verb::post, "/", 11};
      req.set(http::field::host, args_.host + ":" + args_.port);
      req.set(http::field::content_type, "application/x-amz-json-1.0");
      req.set("X-Amz-Target", target);
      // Unsigned: neither server checks signatures here (godwit without
      // --auth; moto never), but moto reads the region from this header.
      req.set(http::field::authorization,
              "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/dynamodb/"
              "aws4_request, SignedHeaders=host, Signature=0");
      req.keep_alive(true);
      req.body() = json;
      req.prepare_payload();
      http::write(stream_, req);
      beast::flat_buffer buf;
      http::response_parser<http::string_body> parser;
      parser.body_limit(64 << 20);
      http::read(stream_, buf, parser);
      auto& res = parser.get();
      if (body) *body = res.body();
      if (!res.keep_alive()) Close();
      return res.result_int();
    } catch (const std::exception& e) {
      Close();
      return 0;
    }
  }

 private:
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    open_ = false;
  }
  const Args& args_;
  net::io_context ioc_;
  beast::tcp_stream stream_;
  bool open_ = false;
};

const std::string kDdb = "DynamoDB_20120810.";
const std::string kPayload(100, 'x');

std::string ItemJson(int p, int sk) {
  return R"({"pk":{"S":"p)" + std::to_string(p) + R"("},"sk":{"N":")" +
         std::to_string(sk) + R"("},"v":{"S":")" + kPayload + R"("}})";
}

int Prepare(const Args& a) {
  Conn c(a);
  std::string body;
  int st = c.Call(kDdb + "CreateTable", R"({"TableName":"Bench",
    "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},
                 {"AttributeName":"sk","KeyType":"RANGE"}],
    "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
                            {"AttributeName":"sk","AttributeType":"N"}],
    "BillingMode":"PAY_PER_REQUEST"})",
                  &body);
  if (st != 200 && body.find("ResourceInUse") == std::string::npos) {
    std::fprintf(stderr, "CreateTable: HTTP %d %s\n", st, body.c_str());
    return 1;
  }
  std::vector<std::string> reqs;
  for (int p = 0; p < a.partitions; ++p) {
    for (int sk = 0; sk < 10; ++sk) {
      reqs.push_back(R"({"PutRequest":{"Item":)" + ItemJson(p, sk) + "}}");
    }
  }
  for (size_t i = 0; i < reqs.size(); i += 25) {
    std::string b = R"({"RequestItems":{"Bench":[)";
    for (size_t j = i; j < std::min(reqs.size(), i + 25); ++j) {
      if (j > i) b += ",";
      b += reqs[j];
    }
    b += "]}}";
    st = c.Call(kDdb + "BatchWriteItem", b, &body);
    if (st != 200) {
      std::fprintf(stderr, "BatchWriteItem: HTTP %d %s\n", st, body.c_str());
      return 1;
    }
  }
  std::fprintf(stderr, "prepared %zu items in %d partitions\n", reqs.size(),
               a.partitions);
  return 0;
}

struct ThreadResult {
  std::vector<double> latencies_ms;
  uint64_t errors = 0;
  uint64_t items = 0;
};

void Worker(const Args& a, int id, Clock::time_point end, ThreadResult* out) {
  Conn c(a);
  std::mt19937_64 rng(1234 + id);
  auto rnd = [&](int n) { return static_cast<int>(rng() % n); };
  std::string target, body;
  while (Clock::now() < end) {
    int items = 1;
    if (a.op == "put") {
      target = kDdb + "PutItem";
      body = R"({"TableName":"Bench","Item":)" +
             ItemJson(rnd(a.partitions), 10 + rnd(1000)) + "}";
    } else if (a.op == "get") {
      target = kDdb + "GetItem";
      body = R"({"TableName":"Bench","Key":{"pk":{"S":"p)" +
             std::to_string(rnd(a.partitions)) + R"("},"sk":{"N":")" +
             std::to_string(rnd(10)) + R"("}}})";
    } else if (a.op == "batch") {
      target = kDdb + "BatchWriteItem";
      body = R"({"RequestItems":{"Bench":[)";
      int p = rnd(a.partitions);
      int base = 10 + rnd(1000);
      for (int j = 0; j < 25; ++j) {
        if (j) body += ",";
        body +=
            R"({"PutRequest":{"Item":)" + ItemJson(p, base + j * 1000) + "}}";
      }
      body += "]}}";
      items = 25;
    } else {
      target = kDdb + "Query";
      body = R"({"TableName":"Bench","KeyConditionExpression":"pk = :p",
        "ExpressionAttributeValues":{":p":{"S":"p)" +
             std::to_string(rnd(a.partitions)) + R"("}},"Limit":10})";
      items = 10;
    }
    auto t0 = Clock::now();
    int st = c.Call(target, body);
    auto t1 = Clock::now();
    if (st != 200) {
      ++out->errors;
      continue;
    }
    out->items += items;
    out->latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
}

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

int Load(const Args& a) {
  std::vector<ThreadResult> results(a.connections);
  std::vector<std::thread> threads;
  auto start = Clock::now();
  auto end = start + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(a.seconds));
  for (int i = 0; i < a.connections; ++i) {
    threads.emplace_back(Worker, std::cref(a), i, end, &results[i]);
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  uint64_t errors = 0, items = 0;
  for (auto& r : results) {
    all.insert(all.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    errors += r.errors;
    items += r.items;
  }
  size_t n = all.size();
  double p50 = Percentile(all, 0.50);
  double p99 = Percentile(all, 0.99);
  std::printf("| %s | %s | %d | %zu | %.0f | %.0f | %.2f | %.2f | %llu |\n",
              a.label.c_str(), a.op.c_str(), a.connections, n,
              static_cast<double>(n) / secs, static_cast<double>(items) / secs,
              p50, p99, static_cast<unsigned long long>(errors));
  std::fflush(stdout);
  return n == 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = Parse(argc, argv);
  return a.prepare ? Prepare(a) : Load(a);
}
