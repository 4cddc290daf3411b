// libyang 2 wrappers (CONVENTIONS §6): RAII for the context and data trees, every error
// reported with the data path it concerns, and a read-only Node view for the typed config
// parsers of each daemon.
//
// A config document is one JSON or XML file holding the data of the whole module set
// (every frr-hostroute*.yang in the YANG directory): each daemon reads its own part.
// Loading = parse strictly (unknown nodes are errors) + validate (types, ranges, keys,
// leafrefs, must/when) + add defaults, so typed parsers always see every default leaf.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

struct ly_ctx;
struct lyd_node;

namespace hr::config {

// One problem in a config document: the data path (e.g.
// "/frr-hostroute:hostroute/interface[name='br10']/learning/max-hosts") and the reason.
struct Issue {
  std::string path;
  std::string message;
  std::string str() const {
    return path.empty() ? message : path + ": " + message;
  }
};

struct ConfigError {
  std::string file;
  std::vector<Issue> issues;
  // "FILE: PATH: REASON" lines, one per issue.
  std::string str() const;
};

template <class T>
using ConfigResult = Result<T, ConfigError>;

inline Unexpected<ConfigError> configFail(std::string path, std::string message) {
  return Unexpected<ConfigError>(ConfigError{{}, {Issue{std::move(path), std::move(message)}}});
}

enum class Format { Json, Xml };

class YangContext {
  // Passkey: only load() can make one, yet make_shared can call the public constructor.
  struct Key {
    explicit Key() = default;
  };

 public:
  // Loads every frr-hostroute*.yang module found in `dir` (all features enabled).
  static Result<std::shared_ptr<YangContext>> load(const std::string& dir);
  explicit YangContext(Key) {}
  ~YangContext();
  YangContext(const YangContext&) = delete;
  YangContext& operator=(const YangContext&) = delete;

  ly_ctx* raw() const {
    return ctx_;
  }
  const std::vector<std::string>& modules() const {
    return modules_;
  }
  const std::string& dir() const {
    return dir_;
  }

 private:
  ly_ctx* ctx_ = nullptr;
  std::vector<std::string> modules_;
  std::string dir_;
};

class Node;

// An owned, validated data tree (possibly empty: no config at all means all defaults).
class DataTree {
 public:
  DataTree() = default;
  DataTree(std::shared_ptr<YangContext> ctx, lyd_node* tree) : ctx_(std::move(ctx)), tree_(tree) {}
  ~DataTree();
  DataTree(DataTree&& o) noexcept;
  DataTree& operator=(DataTree&& o) noexcept;
  DataTree(const DataTree&) = delete;
  DataTree& operator=(const DataTree&) = delete;

  // The top-level container `name` of `module`; nullopt if absent.
  std::optional<Node> root(std::string_view module, std::string_view name) const;
  // The whole document as JSON (explicit nodes only unless withDefaults).
  std::string toJson(bool withDefaults = false) const;
  const lyd_node* raw() const {
    return tree_;
  }
  const std::shared_ptr<YangContext>& context() const {
    return ctx_;
  }

 private:
  std::shared_ptr<YangContext> ctx_;
  lyd_node* tree_ = nullptr;
};

// Parses and validates a document. The format of a file comes from its extension (.json,
// .xml); errors carry the file name and each issue's data path.
ConfigResult<DataTree> parseFile(const std::shared_ptr<YangContext>& ctx, const std::string& path);
ConfigResult<DataTree> parseString(
    const std::shared_ptr<YangContext>& ctx, std::string_view data, Format format);
// A validated tree holding only defaults (no config file).
ConfigResult<DataTree> emptyTree(const std::shared_ptr<YangContext>& ctx);

// A read-only view of a data node. Children are matched by schema node name (any module,
// so augmenting modules' nodes are found by their own names).
class Node {
 public:
  explicit Node(const lyd_node* n) : n_(n) {}

  std::string_view name() const;
  // Canonical value of a leaf / leaf-list entry.
  std::string value() const;
  bool isDefault() const;  // an implicit default, not set in the file
  std::string path() const;

  std::optional<Node> child(std::string_view name) const;
  std::vector<Node> children(std::string_view name) const;
  // Value of child leaf `name`, nullopt when absent.
  std::optional<std::string> leaf(std::string_view name) const;
  std::vector<std::string> leafList(std::string_view name) const;

  // Typed leaf readers for the typed config parsers. They are only called on validated
  // trees, where YANG already guarantees the type; the fallback is returned when absent.
  std::string str(std::string_view name, std::string fallback = {}) const;
  uint64_t u64(std::string_view name, uint64_t fallback = 0) const;
  bool boolean(std::string_view name, bool fallback = false) const;

  const lyd_node* raw() const {
    return n_;
  }

 private:
  const lyd_node* n_;
};

}  // namespace hr::config
