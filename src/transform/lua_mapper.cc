#include "transform/lua_mapper.h"

namespace godwit {

Status OutcomeToStatus(ItemOutcome outcome, std::vector<Item>* out,
                       ItemError* error) {
  switch (outcome.kind) {
    case ItemOutcome::Kind::kOk:
      for (Item& item : outcome.items) out->push_back(std::move(item));
      return Status::OK();
    case ItemOutcome::Kind::kDropped:
      return Status::OK();
    case ItemOutcome::Kind::kFailed:
    case ItemOutcome::Kind::kInvalid: {
      std::string msg = outcome.migration + ": " + outcome.reason;
      if (error != nullptr) *error = ItemErrorOf(outcome);
      return Status::InvalidArgument(std::move(msg));
    }
  }
  return Status::Internal("unknown outcome");
}

Status LuaMapper::Up(const Item& in, std::vector<Item>* out, ItemError* error) {
  return OutcomeToStatus(worker_->Up(in), out, error);
}

Status LuaMapper::Down(const Item& in, std::vector<Item>* out,
                       ItemError* error) {
  return OutcomeToStatus(worker_->Down(in), out, error);
}

Result<std::unique_ptr<ItemMapper>> LuaMapperFactory::NewMapper() {
  ASSIGN_OR_RETURN(std::unique_ptr<TransformWorker> w, transform_->NewWorker());
  return std::unique_ptr<ItemMapper>(new LuaMapper(std::move(w)));
}

}  // namespace godwit
