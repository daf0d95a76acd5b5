// libFuzzer target for the expression language: the input is parsed as a
// condition, a filter, an update, a projection and a key condition against
// a small fixed context; whatever parses is evaluated or applied on a fixed
// item and on an absent item. Invariants checked (a violation traps):
//   - every failure is InvalidArgument with a non-empty message;
//   - an applied update leaves only canonical values (no empty set, sets
//     sorted and unique);
//   - a projection only returns attributes the item has.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "godwit/expression.h"
#include "godwit/item.h"
#include "godwit/json.h"

namespace {

using godwit::AttributeValue;
using godwit::AttrType;
using godwit::ExpressionContext;
using godwit::ExpressionKind;
using godwit::Item;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckError(const godwit::Status& s) {
  Check(s.ok() || (s.IsInvalidArgument() && !s.message().empty()));
}

AttributeValue Value(std::string_view json) {
  godwit::JsonParser parser;
  godwit::Result<AttributeValue> v = parser.ParseValue(json);
  Check(v.ok());
  return std::move(v).value();
}

const Item& FixedItem() {
  static const Item* item = [] {
    godwit::JsonParser parser;
    godwit::Result<Item> r = parser.ParseItem(R"({
      "pk": {"S": "p1"}, "sk": {"N": "7"},
      "a": {"M": {"b": {"L": [{"N": "1"}, {"S": "x"}, {"M": {"c": {"N": "2"}}}]},
                  "c": {"N": "5"}, "s": {"SS": ["q", "r"]}}},
      "l": {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]},
      "n": {"N": "99999999999999999999999999999999999999"},
      "s": {"S": "hello"}, "b": {"B": "aGk="}, "t": {"BOOL": true},
      "z": {"NULL": true}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]},
      "bs": {"BS": ["YQ=="]}, "status": {"S": "on"}, "a.b": {"N": "0"}
    })");
    Check(r.ok());
    return new Item(std::move(r).value());
  }();
  return *item;
}

// The placeholder maps, built once; each input gets a fresh context (usage
// tracking is per request).
ExpressionContext MakeContext() {
  static const ExpressionContext::NameMap* names =
      new ExpressionContext::NameMap{
          {"#a", "a"},   {"#b", "b"},   {"#n", "n"},  {"#s", "status"},
          {"#d", "a.b"}, {"#pk", "pk"}, {"#sk", "sk"}};
  static const ExpressionContext::ValueMap* values =
      new ExpressionContext::ValueMap{
          {":n", Value(R"({"N":"1"})")},
          {":neg", Value(R"({"N":"-2.5"})")},
          {":big",
           Value(R"({"N":"9.9999999999999999999999999999999999999e125"})")},
          {":tiny", Value(R"({"N":"1e-130"})")},
          {":s", Value(R"({"S":"x"})")},
          {":p", Value(R"({"S":"p1"})")},
          {":t", Value(R"({"S":"N"})")},
          {":b", Value(R"({"B":"aGk="})")},
          {":l", Value(R"({"L":[{"N":"1"}]})")},
          {":m", Value(R"({"M":{"k":{"S":"v"}}})")},
          {":ss", Value(R"({"SS":["a","z"]})")},
          {":ns", Value(R"({"NS":["1","3"]})")},
          {":bs", Value(R"({"BS":["YQ=="]})")},
          {":bool", Value(R"({"BOOL":false})")},
          {":null", Value(R"({"NULL":true})")}};
  return ExpressionContext(*names, *values);
}

void CheckCanonical(const AttributeValue& v, int depth) {
  Check(depth < 200);
  switch (v.type()) {
    case AttrType::kSS:
    case AttrType::kBS: {
      const auto& s = v.is(AttrType::kSS) ? v.ss() : v.bs();
      Check(!s.empty());
      for (size_t i = 1; i < s.size(); ++i) Check(s[i - 1] < s[i]);
      break;
    }
    case AttrType::kNS:
      Check(!v.ns().empty());
      for (size_t i = 1; i < v.ns().size(); ++i) {
        Check(v.ns()[i - 1].Compare(v.ns()[i]) < 0);
      }
      break;
    case AttrType::kL:
      for (const AttributeValue& e : v.l()) CheckCanonical(e, depth + 1);
      break;
    case AttrType::kM:
      for (const auto& [k, e] : v.m()) CheckCanonical(e, depth + 1);
      break;
    default:
      break;
  }
}

void CheckItem(const Item& item) {
  for (const auto& [k, v] : item) CheckCanonical(v, 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const Item& item = FixedItem();
  ExpressionContext ctx = MakeContext();

  for (ExpressionKind kind :
       {ExpressionKind::kCondition, ExpressionKind::kFilter}) {
    godwit::Result<godwit::ParsedCondition> c =
        godwit::ParseCondition(input, ctx, kind);
    CheckError(c.status());
    if (c.ok()) {
      (void)godwit::EvaluateCondition(*c, &item);
      (void)godwit::EvaluateCondition(*c, nullptr);
    }
  }

  godwit::Result<godwit::ParsedUpdate> u = godwit::ParseUpdate(input, ctx);
  CheckError(u.status());
  if (u.ok()) {
    godwit::KeySchema schema{{"pk", AttrType::kS},
                             godwit::KeyAttribute{"sk", AttrType::kN}};
    CheckError(godwit::CheckUpdateKeepsKey(*u, schema));
    static const Item* key = new Item(godwit::KeyToItem(
        godwit::Key{AttributeValue::S("p1"),
                    AttributeValue::N(godwit::Number::FromInt64(7))},
        schema));
    for (const Item* base : {&item, static_cast<const Item*>(nullptr)}) {
      godwit::Result<godwit::UpdateResult> r =
          godwit::ApplyUpdate(*u, base, base == nullptr ? key : nullptr);
      CheckError(r.status());
      if (r.ok()) {
        CheckItem(r->item);
        CheckItem(r->updated_old);
        CheckItem(r->updated_new);
      }
    }
  }

  godwit::Result<godwit::ParsedProjection> p =
      godwit::ParseProjection(input, ctx);
  CheckError(p.status());
  if (p.ok()) {
    Item projected = godwit::ApplyProjection(*p, item);
    for (const auto& [name, v] : projected) Check(item.Contains(name));
  }

  godwit::KeySchema schema{{"pk", AttrType::kS},
                           godwit::KeyAttribute{"sk", AttrType::kN}};
  godwit::Result<godwit::KeyCondition> k =
      godwit::ParseKeyCondition(input, ctx, schema);
  CheckError(k.status());
  if (k.ok()) {
    godwit::Key key{AttributeValue::S("p1"),
                    AttributeValue::N(godwit::Number::FromInt64(7))};
    (void)k->Matches(key);
  }

  CheckError(godwit::CheckAllUsed(ctx));
  return 0;
}
