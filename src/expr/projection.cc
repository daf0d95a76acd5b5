// Applying a projection: the selected paths are merged into a tree (a name
// or index per edge, "whole" at a leaf), and the item is copied along the
// tree. A list keeps the selected elements in their original order, packed
// (a[0], a[2] of [x, y, z] gives [x, z]); a map keeps the selected keys;
// anything that does not exist is left out, and so is a container none of
// whose selected parts exist.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "expr/ast.h"
#include "godwit/expression.h"

namespace godwit {
namespace {

struct ProjNode {
  bool whole = false;
  std::map<std::string, ProjNode> names;
  std::map<uint32_t, ProjNode> indexes;
};

void Insert(ProjNode* root, const DocumentPath& path) {
  ProjNode* node = root;
  for (const PathElement& e : path.elements) {
    if (node->whole) return;  // an ancestor is already selected whole
    node = e.is_name() ? &node->names[e.name] : &node->indexes[e.index];
  }
  node->whole = true;
  node->names.clear();
  node->indexes.clear();
}

std::optional<AttributeValue> Project(const AttributeValue& v,
                                      const ProjNode& node);

std::optional<AttributeMap> ProjectMap(const AttributeMap& m,
                                       const ProjNode& node) {
  AttributeMap out;
  for (const auto& [name, child] : node.names) {
    const AttributeValue* found = m.Find(name);
    if (found == nullptr) continue;
    std::optional<AttributeValue> r = Project(*found, child);
    if (r) out.Set(name, std::move(*r));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<AttributeValue> Project(const AttributeValue& v,
                                      const ProjNode& node) {
  if (node.whole) return v;
  if (v.is(AttrType::kM) && !node.names.empty()) {
    std::optional<AttributeMap> m = ProjectMap(v.m(), node);
    if (!m) return std::nullopt;
    return AttributeValue::M(std::move(*m));
  }
  if (v.is(AttrType::kL) && !node.indexes.empty()) {
    AttributeValue::List out;
    const AttributeValue::List& l = v.l();
    for (const auto& [index, child] : node.indexes) {
      if (index >= l.size()) break;
      std::optional<AttributeValue> r = Project(l[index], child);
      if (r) out.push_back(std::move(*r));
    }
    if (out.empty()) return std::nullopt;
    return AttributeValue::L(std::move(out));
  }
  return std::nullopt;
}

}  // namespace

Item ProjectPaths(const std::vector<DocumentPath>& paths, const Item& item) {
  ProjNode root;
  for (const DocumentPath& p : paths) {
    if (!p.elements.empty() && p.elements[0].is_name()) Insert(&root, p);
  }
  std::optional<AttributeMap> m = ProjectMap(item, root);
  return m ? std::move(*m) : Item();
}

Item ApplyProjection(const ParsedProjection& projection, const Item& item) {
  return ProjectPaths(projection.paths(), item);
}

}  // namespace godwit
