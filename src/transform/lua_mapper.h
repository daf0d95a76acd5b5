// The Lua transform as the migration engine's mapper (godwit/migrate.h):
// one TransformWorker (one Lua state) per engine thread.
//
//   ASSIGN_OR_RETURN(auto t, Transform::Create(plan.pending, opts));
//   LuaMapperFactory factory(t);
//   engine uses factory.NewMapper() per worker thread.
//
// ItemMapper::Up/Down return InvalidArgument for an item's error (a Lua
// error, a wrong return, validate saying no, an item DynamoDB would refuse)
// with the ItemError filled; the message is "<migration id>: <reason>". A
// drop appends nothing.
#ifndef GODWIT_TRANSFORM_LUA_MAPPER_H_
#define GODWIT_TRANSFORM_LUA_MAPPER_H_

#include <memory>
#include <vector>

#include "godwit/migrate.h"
#include "godwit/transform.h"

namespace godwit {

class LuaMapper : public ItemMapper {
 public:
  explicit LuaMapper(std::unique_ptr<TransformWorker> worker)
      : worker_(std::move(worker)) {}
  Status Up(const Item& in, std::vector<Item>* out, ItemError* error) override;
  Status Down(const Item& in, std::vector<Item>* out,
              ItemError* error) override;
  TransformWorker* worker() { return worker_.get(); }

 private:
  std::unique_ptr<TransformWorker> worker_;
};

// Thread safe: NewMapper may be called from any thread.
class LuaMapperFactory : public MapperFactory {
 public:
  explicit LuaMapperFactory(std::shared_ptr<const Transform> transform)
      : transform_(std::move(transform)) {}
  Result<std::unique_ptr<ItemMapper>> NewMapper() override;

 private:
  std::shared_ptr<const Transform> transform_;
};

// The outcome as the engine's contract: OK with items appended, or
// InvalidArgument naming the migration with *error (if not null) filled.
Status OutcomeToStatus(ItemOutcome outcome, std::vector<Item>* out,
                       ItemError* error);

}  // namespace godwit

#endif  // GODWIT_TRANSFORM_LUA_MAPPER_H_
