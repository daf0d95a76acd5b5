// Transform: the composition of a table's pending migrations (up = up_n ∘ …
// ∘ up_1), what it declares about the destination (key schema, secondary
// indexes: the last migration declaring one wins), and the check of pending
// migrations that `godwit status` shows.
#include <chrono>

#include "transform/migration_fields.h"
#include "transform/worker_impl.h"

namespace godwit {
namespace {

Status CheckOrder(const std::vector<MigrationFile>& migrations) {
  for (size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].number <= migrations[i - 1].number) {
      return Status::InvalidArgument(
          "migrations must be sorted by number: " + migrations[i - 1].path +
          " then " + migrations[i].path);
    }
    if (migrations[i].table != migrations[0].table) {
      return Status::InvalidArgument(
          "migrations of two tables: " + migrations[0].path + " and " +
          migrations[i].path);
    }
  }
  return Status::OK();
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The problems of the composed result, and the migration they are about
// (the one declaring the destination's indexes).
std::vector<std::string> ComposedProblems(
    const std::vector<MigrationInfo>& infos, const KeySchema& destination,
    size_t* file) {
  for (size_t i = infos.size(); i-- > 0;) {
    if (!infos[i].indexes) continue;
    *file = i;
    std::vector<std::string> problems =
        transform_internal::CheckIndexesForTable(*infos[i].indexes,
                                                 destination);
    return problems;
  }
  return {};
}

}  // namespace

std::string MigrationFinding::ToString() const {
  std::string out = path;
  if (line > 0) out += ":" + std::to_string(line);
  return out + ": " + message;
}

Result<std::shared_ptr<const Transform>> Transform::Create(
    std::vector<MigrationFile> migrations, TransformOptions options) {
  if (migrations.empty()) {
    return Status::InvalidArgument("no migrations to compose");
  }
  RETURN_IF_ERROR(CheckOrder(migrations));
  if (options.now_micros == 0) options.now_micros = NowMicros();
  std::shared_ptr<Transform> t(new Transform());
  t->files_ = std::move(migrations);
  t->options_ = std::move(options);
  t->self_ = t;
  ASSIGN_OR_RETURN(std::unique_ptr<TransformWorker> w, t->NewWorker());
  t->infos_ = w->impl_->infos;
  size_t file = 0;
  std::vector<std::string> problems =
      ComposedProblems(t->infos_, t->destination_key_schema(), &file);
  if (!problems.empty()) {
    std::string msg;
    for (const std::string& p : problems) {
      if (!msg.empty()) msg += "\n";
      msg += t->files_[file].path + ": " + p;
    }
    return Status::InvalidArgument(msg);
  }
  return std::shared_ptr<const Transform>(std::move(t));
}

KeySchema Transform::destination_key_schema() const {
  for (auto it = infos_.rbegin(); it != infos_.rend(); ++it) {
    if (it->key_schema) return *it->key_schema;
  }
  return options_.source_key_schema;
}

std::optional<std::vector<SecondaryIndex>> Transform::destination_indexes()
    const {
  for (auto it = infos_.rbegin(); it != infos_.rend(); ++it) {
    if (it->indexes) return *it->indexes;
  }
  return std::nullopt;
}

Result<std::unique_ptr<TransformWorker>> Transform::NewWorker() const {
  auto impl = std::make_unique<TransformWorker::Impl>();
  impl->transform = self_.lock();
  if (!impl->transform) return Status::Internal("Transform not owned");
  RETURN_IF_ERROR(impl->Setup());
  return std::unique_ptr<TransformWorker>(new TransformWorker(std::move(impl)));
}

Result<std::vector<MigrationFinding>> CheckPendingMigrations(
    const std::vector<MigrationFile>& pending,
    const TransformOptions& options) {
  std::vector<MigrationFinding> findings;
  if (pending.empty()) return findings;
  RETURN_IF_ERROR(CheckOrder(pending));
  std::shared_ptr<Transform> t(new Transform());
  t->files_ = pending;
  t->options_ = options;
  if (t->options_.now_micros == 0) t->options_.now_micros = NowMicros();
  t->self_ = t;
  auto impl = std::make_unique<TransformWorker::Impl>();
  impl->transform = t;
  std::vector<TransformWorker::Impl::Problem> problems;
  RETURN_IF_ERROR(impl->Load(/*stop_at_first=*/false, &problems));
  for (const TransformWorker::Impl::Problem& p : problems) {
    MigrationFinding f;
    f.kind = MigrationFinding::Kind::kProblem;
    f.path = pending[p.file].path;
    f.line = p.line;
    f.message = p.syntax ? "syntax error: " + p.message : p.message;
    findings.push_back(std::move(f));
  }
  if (problems.empty()) {
    t->infos_ = impl->infos;
    size_t file = 0;
    for (std::string& p :
         ComposedProblems(t->infos_, t->destination_key_schema(), &file)) {
      MigrationFinding f;
      f.kind = MigrationFinding::Kind::kProblem;
      f.path = pending[file].path;
      f.message = std::move(p);
      findings.push_back(std::move(f));
    }
  }
  return findings;
}

}  // namespace godwit
