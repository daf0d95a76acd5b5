// A worker's per-item work: the protected calls of up/down/validate, what up
// returned collected into items, the composition of the migrations over one
// item (fan-out and drops flow through), DynamoDB's rules on the results,
// and the determinism check.
#include <algorithm>

#include "transform/sandbox.h"
#include "transform/worker_impl.h"

namespace godwit {

using transform_internal::GetStateData;
using transform_internal::MessageHandler;
using transform_internal::SplitTraceback;

namespace {

struct CallArgs {
  int fn_ref;
  int ctx_ref;
  Item* item;
  bool lazy;
  int nresults;
};

int CallTrampoline(lua_State* L) {
  auto* a = static_cast<CallArgs*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  lua_rawgeti(L, LUA_REGISTRYINDEX, a->fn_ref);
  if (a->lazy) {
    transform_internal::PushItemProxy(L, GetStateData(L), a->item);
  } else {
    transform_internal::PushItemFull(L, *a->item);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, a->ctx_ref);
  lua_call(L, 2, a->nresults);
  return a->nresults;
}

}  // namespace

bool TransformWorker::Impl::Call(int fn_ref, int ctx_ref, Item* item,
                                 int nresults, int* base, CallError* err) {
  lua_settop(L, 0);
  *base = 0;
  sd.instructions = 0;
  sd.budget_hit = false;
  sd.mem_limit_hit = false;
  bool lazy = opts().view == ItemViewMode::kLazy;
  if (lazy) sd.touched.assign(item->size(), 0);
  CallArgs args{fn_ref, ctx_ref, item, lazy, nresults};
  if (!lua_checkstack(L, 8)) {
    err->reason = "Lua stack exhausted";
    return false;
  }
  lua_pushcfunction(L, MessageHandler);
  lua_pushcfunction(L, CallTrampoline);
  lua_pushlightuserdata(L, &args);
  int rc = lua_pcall(L, 1, nresults, 1);
  *base = 1;
  if (rc == LUA_OK) return true;
  if (rc == LUA_ERRMEM || sd.mem_limit_hit) {
    err->reason = "memory limit of " +
                  std::to_string(opts().memory_limit_bytes >> 20) +
                  " MiB per Lua state exceeded";
    err->traceback.clear();
  } else {
    size_t n = 0;
    const char* s = lua_tolstring(L, -1, &n);
    if (s == nullptr) {
      err->reason = "error object is not a string";
    } else {
      SplitTraceback(std::string_view(s, n), &err->reason, &err->traceback);
      err->reason = ExpandChunkNames(std::move(err->reason));
      err->traceback = ExpandChunkNames(std::move(err->traceback));
    }
  }
  EndCall(0);
  if (rc == LUA_ERRMEM || sd.mem_limit_hit) lua_gc(L, LUA_GCCOLLECT);
  return false;
}

void TransformWorker::Impl::EndCall(int base) {
  lua_settop(L, base > 0 ? base - 1 : 0);
  sd.proxy_id = nullptr;
  sd.proxy_native = nullptr;
}

namespace {

// Collects what up returned (the value at `idx`). Never raises.
Status CollectReturned(lua_State* L, int idx, std::vector<Item>* out) {
  int t = lua_type(L, idx);
  if (t == LUA_TNIL) return Status::OK();  // dropped
  if (t != LUA_TTABLE) {
    return Status::InvalidArgument(
        std::string("returned a ") + luaL_typename(L, idx) +
        "; expected an item (a table), a list of items, or nil to drop it");
  }
  bool is_list = false;
  switch (transform_internal::GetTableKind(L, idx)) {
    case transform_internal::TableKind::kList:
      is_list = true;
      break;
    case transform_internal::TableKind::kPlain: {
      lua_pushnil(L);
      if (!lua_next(L, idx)) {
        return Status::InvalidArgument(
            "returned an empty table; return nil to drop the item, or "
            "godwit.list{} for no items");
      }
      is_list = lua_type(L, -2) == LUA_TNUMBER;
      lua_pop(L, 2);
      break;
    }
    default:
      break;
  }
  if (!is_list) {
    Item item;
    Status s = transform_internal::ToItem(L, idx, /*move_native=*/true, &item);
    if (!s.ok())
      return Status::InvalidArgument(
          "returned an item that "
          "cannot be stored: " +
          std::string(s.message()));
    out->push_back(std::move(item));
    return Status::OK();
  }
  lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, idx));
  lua_Integer count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    ++count;
  }
  if (count != n) {
    return Status::InvalidArgument(
        "returned a list of items with holes or non-integer keys");
  }
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, idx, i);
    Item item;
    Status s = transform_internal::ToItem(L, -1, /*move_native=*/false, &item);
    lua_pop(L, 1);
    if (!s.ok()) {
      return Status::InvalidArgument(
          "returned a list whose item " + std::to_string(i) +
          " cannot be stored: " + std::string(s.message()));
    }
    out->push_back(std::move(item));
  }
  return Status::OK();
}

}  // namespace

bool TransformWorker::Impl::Step(size_t m, bool down, Item item,
                                 std::vector<Item>* out, CallError* err) {
  const Mig& mig = migs[m];
  int fn = down ? mig.down : mig.up;
  if (fn == LUA_NOREF) {
    err->reason = "has no `down` function, so it cannot be rolled back";
    err->traceback.clear();
    return false;
  }
  int base = 0;
  if (!Call(fn, mig.ctx, &item, 1, &base, err)) return false;
  Status s = CollectReturned(L, lua_gettop(L), out);
  EndCall(base);
  if (!s.ok()) {
    err->reason =
        std::string(down ? "down " : "up ") + std::string(s.message());
    err->traceback.clear();
    return false;
  }
  return true;
}

bool TransformWorker::Impl::RunValidate(size_t m, const Item& item,
                                        std::string* reason,
                                        std::string* traceback) {
  // validate reads a copy, so that assignments in validate cannot leak.
  Item copy = item;
  int base = 0;
  CallError err;
  if (!Call(migs[m].validate, migs[m].ctx, &copy, 2, &base, &err)) {
    *reason = "validate raised an error: " + err.reason;
    *traceback = err.traceback;
    return false;
  }
  int top = lua_gettop(L);
  bool ok = lua_toboolean(L, top - 1);
  if (!ok) {
    if (lua_type(L, top) == LUA_TSTRING) {
      size_t n;
      const char* s = lua_tolstring(L, top, &n);
      reason->assign(s, n);
    } else if (lua_isnil(L, top - 1)) {
      *reason =
          "validate returned nil; it must return true, or false and a "
          "reason";
    } else {
      *reason = "validate returned false";
    }
    traceback->clear();
  }
  EndCall(base);
  return ok;
}

ItemOutcome TransformWorker::Impl::Run(Item item, bool down) {
  ItemOutcome outcome;
  const KeySchema& src_schema = opts().source_key_schema;
  // The source key, for messages.
  Item key_item;
  if (!src_schema.hash.name.empty()) {
    if (const AttributeValue* v = item.Find(src_schema.hash.name)) {
      key_item.Set(src_schema.hash.name, *v);
    }
    if (src_schema.range) {
      if (const AttributeValue* v = item.Find(src_schema.range->name)) {
        key_item.Set(src_schema.range->name, *v);
      }
    }
  }
  auto key_text = [&]() {
    return key_item.empty() ? DescribeItemKey(item, src_schema)
                            : DescribeItemKey(key_item, src_schema);
  };
  const size_t n = migs.size();
  std::vector<Item> current;
  current.push_back(std::move(item));
  for (size_t step = 0; step < n; ++step) {
    size_t m = down ? n - 1 - step : step;
    std::vector<Item> next;
    for (Item& it : current) {
      CallError err;
      if (!Step(m, down, std::move(it), &next, &err)) {
        outcome.kind = ItemOutcome::Kind::kFailed;
        outcome.migration = ids[m];
        outcome.reason = std::string(down ? "down" : "up") + " failed for " +
                         key_text() + ": " + err.reason;
        outcome.traceback = std::move(err.traceback);
        return outcome;
      }
    }
    if (!down && migs[m].validate != LUA_NOREF) {
      for (const Item& out : next) {
        std::string reason, traceback;
        if (!RunValidate(m, out, &reason, &traceback)) {
          outcome.kind = ItemOutcome::Kind::kInvalid;
          outcome.migration = ids[m];
          outcome.reason =
              "validate rejected the result for " + key_text() + ": " + reason;
          outcome.traceback = std::move(traceback);
          return outcome;
        }
      }
    }
    current = std::move(next);
    if (current.empty()) {
      outcome.kind = ItemOutcome::Kind::kDropped;
      outcome.migration = ids[m];
      return outcome;
    }
  }
  KeySchema schema = down ? src_schema : transform->destination_key_schema();
  const KeySchema* check = schema.hash.name.empty() ? nullptr : &schema;
  for (const Item& out : current) {
    Status s = ValidateItem(out, check);
    if (!s.ok()) {
      outcome.kind = ItemOutcome::Kind::kInvalid;
      outcome.migration = ids[down ? 0 : n - 1];
      outcome.reason =
          "the result for " + key_text() +
          " is not a valid DynamoDB item: " + std::string(s.message());
      return outcome;
    }
  }
  outcome.kind = ItemOutcome::Kind::kOk;
  outcome.items = std::move(current);
  return outcome;
}

// ---------------------------------------------------------------------------
// TransformWorker

TransformWorker::TransformWorker(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
TransformWorker::~TransformWorker() = default;

ItemOutcome TransformWorker::Up(Item item) {
  return impl_->Run(std::move(item), /*down=*/false);
}

ItemOutcome TransformWorker::Down(Item item) {
  return impl_->Run(std::move(item), /*down=*/true);
}

size_t TransformWorker::memory_in_use() const { return impl_->sd.mem_used; }

Status TransformWorker::CheckDeterminism(const std::vector<Item>& sample) {
  Impl& im = *impl_;
  const KeySchema& schema = im.opts().source_key_schema;
  for (const Item& source : sample) {
    std::vector<Item> current{source};
    for (size_t m = 0; m < im.migs.size() && !current.empty(); ++m) {
      std::vector<Item> next_a, next_b;
      for (const Item& it : current) {
        im.sd.violation[0] = '\0';
        Impl::CallError err_a, err_b;
        bool ok_a = im.Step(m, false, it, &next_a, &err_a);
        bool ok_b = im.Step(m, false, it, &next_b, &err_b);
        if (im.sd.violation[0] != '\0') {
          return Status::FailedPrecondition(
              "migration " + im.transform->files()[m].path +
              " is not deterministic: it calls " + im.sd.violation +
              " (on item " + DescribeItemKey(source, schema) +
              "). up must return the same result for the same item, because "
              "godwit runs it again during replay and verify; use ctx.now "
              "for the run's clock and derive anything random from the item");
        }
        if (ok_a != ok_b || (!ok_a && err_a.reason != err_b.reason)) {
          return Status::FailedPrecondition(
              "migration " + im.transform->files()[m].path +
              " is not deterministic: item " + DescribeItemKey(source, schema) +
              " failed on one run and not on the other (" +
              (ok_a ? err_b.reason : err_a.reason) + ")");
        }
        if (!ok_a) {
          next_a.clear();
          current.clear();
          break;  // a deterministic failure: Up reports it
        }
      }
      if (next_a != next_b) {
        std::string a, b;
        for (const Item& x : next_a) a += DebugString(x) + " ";
        for (const Item& x : next_b) b += DebugString(x) + " ";
        if (a.size() > 600) a = a.substr(0, 600) + "...";
        if (b.size() > 600) b = b.substr(0, 600) + "...";
        return Status::FailedPrecondition(
            "migration " + im.transform->files()[m].path +
            " is not deterministic: two runs of up on item " +
            DescribeItemKey(source, schema) + " gave different results:\n  " +
            a + "\n  " + b +
            "\n(state kept between items, pairs() order over plain tables, "
            "or tostring of a table?)");
      }
      current = std::move(next_a);
    }
  }
  return Status::OK();
}

}  // namespace godwit
