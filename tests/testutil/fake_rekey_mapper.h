// A fake ItemMapper for tests: the demo's re-key migration written in C++
// (the same mapping as examples/migrations/Orders/0002_key_by_customer.lua),
// for engine tests that should not depend on the Lua runtime:
//   up:   pk = "CUST#" .. customerId, sk = "ORDER#" .. <9-digit id>,
//         status renamed orderStatus, itemCount = #items (derived)
//   down: the inverse.
// Options make it misbehave on purpose: `collide` maps every order of a
// customer to one key (a collision), `fail_order(s)` raise item errors,
// `broken_order` an error that stops the run.
#ifndef GODWIT_TESTUTIL_FAKE_REKEY_MAPPER_H_
#define GODWIT_TESTUTIL_FAKE_REKEY_MAPPER_H_

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "godwit/migrate.h"

namespace godwit::test {

struct FakeReKeyOptions {
  bool collide = false;
  int64_t fail_order = -1;  // this orderId fails `up` with InvalidArgument
  std::vector<int64_t> fail_orders = {};  // and these
  // This orderId fails `up` with Internal: not an item error, the run
  // stops.
  int64_t broken_order = -1;
};

class FakeReKeyMapper : public ItemMapper {
 public:
  explicit FakeReKeyMapper(FakeReKeyOptions o) : o_(o) {}
  Status Up(const Item& in, std::vector<Item>* out, ItemError* error) override {
    Status s = UpItem(in, out);
    if (s.ok()) s = Validate(*out, ReKeySchema());
    return Report(s, out, error);
  }
  Status Down(const Item& in, std::vector<Item>* out,
              ItemError* error) override {
    Status s = DownItem(in, out);
    if (s.ok()) s = Validate(*out, OrderSchema());
    return Report(s, out, error);
  }

 private:
  static KeySchema ReKeySchema() {
    return KeySchema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kS}};
  }
  static KeySchema OrderSchema() {
    return KeySchema{{"pk", AttrType::kS}, std::nullopt};
  }
  // The mapper validates its images (the ItemMapper contract).
  static Status Validate(const std::vector<Item>& out, const KeySchema& ks) {
    for (const Item& o : out) RETURN_IF_ERROR(ValidateItem(o, &ks));
    return Status::OK();
  }
  static Status Report(const Status& s, std::vector<Item>* out,
                       ItemError* error) {
    if (s.code() == StatusCode::kInvalidArgument) {
      out->clear();
      if (error != nullptr) {
        *error = ItemError{ItemOutcome::Kind::kFailed, "0001_rekey",
                           std::string(s.message()), ""};
      }
    }
    return s;
  }
  Status UpItem(const Item& in, std::vector<Item>* out) {
    const AttributeValue* pk = in.Find("pk");
    const AttributeValue* cust = in.Find("customerId");
    const AttributeValue* oid = in.Find("orderId");
    if (pk == nullptr || cust == nullptr || !cust->is(AttrType::kS) ||
        oid == nullptr) {
      return Status::InvalidArgument("not an order: " + DebugString(in));
    }
    std::optional<int64_t> id = oid->n().ToInt64();
    if (id && (*id == o_.fail_order ||
               std::find(o_.fail_orders.begin(), o_.fail_orders.end(), *id) !=
                   o_.fail_orders.end())) {
      return Status::InvalidArgument("refusing order " + std::to_string(*id));
    }
    if (id && *id == o_.broken_order) {
      return Status::Internal("the mapper broke on order " +
                              std::to_string(*id));
    }
    Item item = in;
    item.Set("pk", AttributeValue::S("CUST#" + cust->s()));
    std::string order = pk->s().substr(pk->s().find('#') + 1);
    item.Set("sk", AttributeValue::S(o_.collide ? "ORDER" : "ORDER#" + order));
    if (const AttributeValue* st = in.Find("status")) {
      item.Set("orderStatus", *st);
      item.Erase("status");
    }
    const AttributeValue* lines = in.Find("items");
    int64_t n = lines != nullptr && lines->is(AttrType::kL)
                    ? static_cast<int64_t>(lines->l().size())
                    : 0;
    item.Set("itemCount", AttributeValue::N(Number::FromInt64(n)));
    out->push_back(std::move(item));
    return Status::OK();
  }
  Status DownItem(const Item& in, std::vector<Item>* out) {
    const AttributeValue* sk = in.Find("sk");
    if (sk == nullptr || !sk->is(AttrType::kS)) {
      return Status::InvalidArgument("not a re-keyed order");
    }
    Item item = in;
    item.Set("pk", AttributeValue::S("ORDER#" + sk->s().substr(6)));
    item.Erase("sk");
    item.Erase("itemCount");
    if (const AttributeValue* st = in.Find("orderStatus")) {
      item.Set("status", *st);
      item.Erase("orderStatus");
    }
    out->push_back(std::move(item));
    return Status::OK();
  }

  FakeReKeyOptions o_;
};

class FakeReKeyMapperFactory : public MapperFactory {
 public:
  explicit FakeReKeyMapperFactory(FakeReKeyOptions o = {}) : o_(o) {}
  Result<std::unique_ptr<ItemMapper>> NewMapper() override {
    return std::unique_ptr<ItemMapper>(new FakeReKeyMapper(o_));
  }

 private:
  FakeReKeyOptions o_;
};

inline KeySchema ReKeyDestinationSchema() {
  return KeySchema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kS}};
}

}  // namespace godwit::test

#endif  // GODWIT_TESTUTIL_FAKE_REKEY_MAPPER_H_
