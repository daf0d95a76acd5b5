// consumer ack, consumer list: downstream consumers of a table's stream say
// how far they have processed it (src/control/consumers.h), for the cutover
// gate `migrate --wait-for-consumers`.
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "cli/session.h"
#include "control/consumers.h"
#include "wire/stream_ids.h"

namespace godwit::cli {
namespace {

struct ConsumerArgs {
  std::string table;
  std::string name;
  std::string position;
};

std::string UtcTime(int64_t micros) {
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Outcome RunAck(const Context& ctx, const ConsumerArgs& a) {
  Result<uint64_t> position = wire::ParseSequenceNumber(a.position);
  if (!position.ok()) {
    return Status::InvalidArgument(
        "consumer ack: POSITION must be a stream sequence number (1 to 40 "
        "decimal digits, as GetRecords gives it), not \"" +
        a.position + "\"");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(ctx));
  ASSIGN_OR_RETURN(uint64_t now, control::AckConsumer(store.get(), a.table,
                                                      a.name, *position));
  if (ctx.global.json) {
    std::printf("{\"table\":\"%s\",\"consumer\":\"%s\",\"position\":%llu}\n",
                a.table.c_str(), a.name.c_str(),
                static_cast<unsigned long long>(now));
  } else {
    std::printf(
        "%s of %s: processed to %llu%s\n", a.name.c_str(), a.table.c_str(),
        static_cast<unsigned long long>(now),
        now > *position ? " (an earlier acknowledgement was further)" : "");
  }
  return Status::OK();
}

Outcome RunList(const Context& ctx, const ConsumerArgs& a) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore(ctx));
  ASSIGN_OR_RETURN(std::vector<control::ConsumerAck> acks,
                   control::ListConsumers(store.get(), a.table));
  for (const control::ConsumerAck& c : acks) {
    if (ctx.global.json) {
      std::printf(
          "{\"table\":\"%s\",\"consumer\":\"%s\",\"position\":%llu,"
          "\"at\":\"%s\",\"by\":\"%s\"}\n",
          a.table.c_str(), c.name.c_str(),
          static_cast<unsigned long long>(c.position),
          UtcTime(c.at_micros).c_str(), c.by.c_str());
    } else {
      std::printf("%-24s %21llu  %s  %s\n", c.name.c_str(),
                  static_cast<unsigned long long>(c.position),
                  UtcTime(c.at_micros).c_str(), c.by.c_str());
    }
  }
  if (acks.empty() && !ctx.global.json) {
    std::printf("no consumer of %s has acknowledged anything\n",
                a.table.c_str());
  }
  return Status::OK();
}

}  // namespace

void RegisterConsumerCommands(CLI::App& app, Context& ctx) {
  Context* c = &ctx;
  auto args = std::make_shared<ConsumerArgs>();
  CLI::App* consumer = app.add_subcommand(
      "consumer",
      "downstream consumers of a table's stream (a search indexer, a cache "
      "warmer) say how far they have processed it; `migrate "
      "--wait-for-consumers` holds the cutover until they are done");
  consumer->require_subcommand(1);
  CLI::App* ack = consumer->add_subcommand(
      "ack",
      "record that consumer NAME processed every record of TABLE's stream "
      "up to POSITION (a sequence number; never moves back)");
  ack->add_option("table", args->table, "the logical table")->required();
  ack->add_option("name", args->name,
                  "the consumer's name (letters, digits, '.', '_', '-')")
      ->required();
  ack->add_option("position", args->position,
                  "the SequenceNumber of the last record processed")
      ->required();
  ack->callback(
      [c, args] { c->run = [c, args] { return RunAck(*c, *args); }; });
  CLI::App* list = consumer->add_subcommand(
      "list", "the consumers of TABLE and how far each has processed");
  list->add_option("table", args->table, "the logical table")->required();
  list->callback(
      [c, args] { c->run = [c, args] { return RunList(*c, *args); }; });
}

}  // namespace godwit::cli
