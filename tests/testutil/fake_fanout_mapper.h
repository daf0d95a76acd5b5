// A fake ItemMapper for tests: a fan-out migration of the workload's
// orders (migrate/workload.h). `up` maps one order to its order row and one
// row per order line, all in the customer's partition:
//   order row  pk = "CUST#" .. customerId, sk = "ORDER#" .. <9-digit id>,
//              the order's other attributes, lineCount = #items
//   line rows  pk = "CUST#" .. customerId,
//              sk = "ORDER#" .. <9-digit id> .. "#LINE#" .. <2-digit n>,
//              orderId, line = n, sku, qty, price
// `down` maps an order row back to the order and a line row to nothing (a
// line is part of its order). So down(destination) alone cannot see a
// stray line row: only up(source) against the destination can.
#ifndef GODWIT_TESTUTIL_FAKE_FANOUT_MAPPER_H_
#define GODWIT_TESTUTIL_FAKE_FANOUT_MAPPER_H_

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "godwit/migrate.h"

namespace godwit::test {

inline KeySchema FanOutDestinationSchema() {
  return KeySchema{{"pk", AttrType::kS}, KeyAttribute{"sk", AttrType::kS}};
}

class FakeFanOutMapper : public ItemMapper {
 public:
  Status Up(const Item& in, std::vector<Item>* out, ItemError* error) override {
    Status s = UpItem(in, out);
    if (s.ok()) s = Validate(*out, FanOutDestinationSchema());
    return Report(s, out, error);
  }
  Status Down(const Item& in, std::vector<Item>* out,
              ItemError* error) override {
    Status s = DownItem(in, out);
    if (s.ok()) {
      s = Validate(*out, KeySchema{{"pk", AttrType::kS}, std::nullopt});
    }
    return Report(s, out, error);
  }

  static std::string LineKey(const std::string& order_sk, size_t n) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "#LINE#%02zu", n);
    return order_sk + buf;
  }

 private:
  static Status Validate(const std::vector<Item>& out, const KeySchema& ks) {
    for (const Item& o : out) RETURN_IF_ERROR(ValidateItem(o, &ks));
    return Status::OK();
  }
  static Status Report(const Status& s, std::vector<Item>* out,
                       ItemError* error) {
    if (s.code() == StatusCode::kInvalidArgument) {
      out->clear();
      if (error != nullptr) {
        *error = ItemError{ItemOutcome::Kind::kFailed, "0001_fanout",
                           std::string(s.message()), ""};
      }
    }
    return s;
  }
  static Status UpItem(const Item& in, std::vector<Item>* out) {
    const AttributeValue* pk = in.Find("pk");
    const AttributeValue* cust = in.Find("customerId");
    const AttributeValue* oid = in.Find("orderId");
    if (pk == nullptr || !pk->is(AttrType::kS) || cust == nullptr ||
        !cust->is(AttrType::kS) || oid == nullptr) {
      return Status::InvalidArgument("not an order: " + DebugString(in));
    }
    std::string partition = "CUST#" + cust->s();
    std::string order_sk = "ORDER#" + pk->s().substr(pk->s().find('#') + 1);
    Item order = in;
    order.Set("pk", AttributeValue::S(partition));
    order.Set("sk", AttributeValue::S(order_sk));
    const AttributeValue* lines = in.Find("items");
    size_t n =
        lines != nullptr && lines->is(AttrType::kL) ? lines->l().size() : 0;
    order.Set("lineCount",
              AttributeValue::N(Number::FromInt64(static_cast<int64_t>(n))));
    out->push_back(std::move(order));
    for (size_t i = 0; i < n; ++i) {
      const AttributeValue& l = lines->l()[i];
      if (!l.is(AttrType::kM)) {
        return Status::InvalidArgument("order line is not a map");
      }
      Item line;
      line.Set("pk", AttributeValue::S(partition));
      line.Set("sk", AttributeValue::S(LineKey(order_sk, i)));
      line.Set("orderId", *oid);
      line.Set("line",
               AttributeValue::N(Number::FromInt64(static_cast<int64_t>(i))));
      for (const char* name : {"sku", "qty", "price"}) {
        if (const AttributeValue* v = l.m().Find(name)) line.Set(name, *v);
      }
      out->push_back(std::move(line));
    }
    return Status::OK();
  }
  static Status DownItem(const Item& in, std::vector<Item>* out) {
    const AttributeValue* sk = in.Find("sk");
    if (sk == nullptr || !sk->is(AttrType::kS) ||
        sk->s().rfind("ORDER#", 0) != 0) {
      return Status::InvalidArgument("not a fanned-out order row");
    }
    if (sk->s().find("#LINE#") != std::string::npos) return Status::OK();
    Item order = in;
    order.Set("pk", AttributeValue::S("ORDER#" + sk->s().substr(6)));
    order.Erase("sk");
    order.Erase("lineCount");
    out->push_back(std::move(order));
    return Status::OK();
  }
};

class FakeFanOutMapperFactory : public MapperFactory {
 public:
  Result<std::unique_ptr<ItemMapper>> NewMapper() override {
    return std::unique_ptr<ItemMapper>(new FakeFanOutMapper());
  }
};

}  // namespace godwit::test

#endif  // GODWIT_TESTUTIL_FAKE_FANOUT_MAPPER_H_
