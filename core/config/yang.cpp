#include "core/config/yang.h"

#include <libyang/libyang.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace hr::config {
namespace {

void initLogging() {
  static std::once_flag once;
  std::call_once(once, [] { ly_log_options(LY_LOSTORE); });
}

// libyang 2.1 reports locations as 'Data location "/a/b[k='v']", line number 3.' (or
// "Schema location"); keep the data path and append the line to the message.
Issue toIssue(const ly_err_item* e) {
  std::string msg = e->msg != nullptr ? e->msg : "unknown error";
  std::string loc = e->path != nullptr ? e->path : "";
  std::string path;
  auto q1 = loc.find('"');
  auto q2 = q1 == std::string::npos ? std::string::npos : loc.find('"', q1 + 1);
  if (q2 != std::string::npos) {
    path = loc.substr(q1 + 1, q2 - q1 - 1);
    auto ln = loc.find("line number ", q2);
    if (ln != std::string::npos) {
      auto num = loc.substr(ln + 12);
      while (!num.empty() && (num.back() == '.' || num.back() == ' ')) {
        num.pop_back();
      }
      msg += " (line " + num + ")";
    }
  } else if (auto ln = loc.find("Line number "); ln != std::string::npos) {
    auto num = loc.substr(ln + 12);
    while (!num.empty() && (num.back() == '.' || num.back() == ' ')) {
      num.pop_back();
    }
    msg += " (line " + num + ")";
  } else {
    path = loc;
  }
  return Issue{path, msg};
}

std::vector<Issue> takeErrors(const ly_ctx* ctx) {
  std::vector<Issue> out;
  for (const ly_err_item* e = ly_err_first(ctx); e != nullptr; e = e->next) {
    if (e->level != LY_LLERR) {
      continue;
    }
    out.push_back(toIssue(e));
  }
  ly_err_clean(const_cast<ly_ctx*>(ctx), nullptr);
  if (out.empty()) {
    out.push_back(Issue{"", "invalid configuration (libyang gave no detail)"});
  }
  return out;
}

ConfigResult<DataTree> finish(const std::shared_ptr<YangContext>& ctx, lyd_node* tree) {
  // Defaults for every module, so typed parsers see every default leaf.
  if (lyd_new_implicit_all(&tree, ctx->raw(), LYD_IMPLICIT_NO_STATE, nullptr) != LY_SUCCESS) {
    lyd_free_all(tree);
    return Unexpected<ConfigError>(ConfigError{{}, takeErrors(ctx->raw())});
  }
  if (lyd_validate_all(&tree, ctx->raw(), LYD_VALIDATE_NO_STATE, nullptr) != LY_SUCCESS) {
    lyd_free_all(tree);
    return Unexpected<ConfigError>(ConfigError{{}, takeErrors(ctx->raw())});
  }
  return DataTree(ctx, tree);
}

}  // namespace

std::string ConfigError::str() const {
  std::string out;
  for (const auto& i : issues) {
    if (!out.empty()) {
      out += "\n";
    }
    if (!file.empty()) {
      out += file + ": ";
    }
    out += i.str();
  }
  return out;
}

Result<std::shared_ptr<YangContext>> YangContext::load(const std::string& dir) {
  initLogging();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return fail("config.yang_dir", "YANG directory '{}' does not exist", dir);
  }
  auto c = std::make_shared<YangContext>(Key());
  c->dir_ = dir;
  if (ly_ctx_new(dir.c_str(), LY_CTX_NO_YANGLIBRARY, &c->ctx_) != LY_SUCCESS) {
    return fail("config.yang_ctx", "cannot create a libyang context for '{}'", dir);
  }
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    auto name = entry.path().filename().string();
    if (name.rfind("frr-hostroute", 0) == 0 && entry.path().extension() == ".yang") {
      auto stem = entry.path().stem().string();
      names.push_back(stem.substr(0, stem.find('@')));
    }
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) {
    return fail("config.no_modules", "no frr-hostroute*.yang module in '{}'", dir);
  }
  const char* features[] = {"*", nullptr};
  for (const auto& n : names) {
    if (ly_ctx_load_module(c->ctx_, n.c_str(), nullptr, features) == nullptr) {
      auto errs = takeErrors(c->ctx_);
      return fail(
          "config.yang_module",
          "cannot load YANG module {} from {}: {}",
          n,
          dir,
          errs.front().message);
    }
  }
  c->modules_ = names;
  return c;
}

YangContext::~YangContext() {
  if (ctx_ != nullptr) {
    ly_ctx_destroy(ctx_);
  }
}

DataTree::~DataTree() {
  if (tree_ != nullptr) {
    lyd_free_all(tree_);
  }
}

DataTree::DataTree(DataTree&& o) noexcept : ctx_(std::move(o.ctx_)), tree_(o.tree_) {
  o.tree_ = nullptr;
}

DataTree& DataTree::operator=(DataTree&& o) noexcept {
  if (this != &o) {
    if (tree_ != nullptr) {
      lyd_free_all(tree_);
    }
    ctx_ = std::move(o.ctx_);
    tree_ = o.tree_;
    o.tree_ = nullptr;
  }
  return *this;
}

std::optional<Node> DataTree::root(std::string_view module, std::string_view name) const {
  for (const lyd_node* n = tree_; n != nullptr; n = n->next) {
    if (n->schema != nullptr && name == n->schema->name && module == n->schema->module->name) {
      return Node(n);
    }
  }
  return std::nullopt;
}

std::string DataTree::toJson(bool withDefaults) const {
  if (tree_ == nullptr) {
    return "{}";
  }
  char* out = nullptr;
  uint32_t opts = LYD_PRINT_WITHSIBLINGS | (withDefaults ? LYD_PRINT_WD_ALL : LYD_PRINT_WD_TRIM);
  if (lyd_print_mem(&out, tree_, LYD_JSON, opts) != LY_SUCCESS || out == nullptr) {
    return "{}";
  }
  std::string s(out);
  std::free(out);
  return s.empty() ? "{}" : s;
}

ConfigResult<DataTree> parseFile(const std::shared_ptr<YangContext>& ctx, const std::string& path) {
  auto ext = std::filesystem::path(path).extension().string();
  LYD_FORMAT fmt;
  if (ext == ".json") {
    fmt = LYD_JSON;
  } else if (ext == ".xml") {
    fmt = LYD_XML;
  } else {
    return Unexpected<ConfigError>(
        ConfigError{path, {Issue{"", "unknown file type '" + ext + "' (use .json or .xml)"}}});
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Unexpected<ConfigError>(ConfigError{path, {Issue{"", "no such file"}}});
  }
  ly_err_clean(ctx->raw(), nullptr);
  lyd_node* tree = nullptr;
  if (lyd_parse_data_path(
          ctx->raw(),
          path.c_str(),
          fmt,
          LYD_PARSE_STRICT | LYD_PARSE_NO_STATE,
          LYD_VALIDATE_NO_STATE,
          &tree) != LY_SUCCESS) {
    lyd_free_all(tree);
    return Unexpected<ConfigError>(ConfigError{path, takeErrors(ctx->raw())});
  }
  auto r = finish(ctx, tree);
  if (!r) {
    r.error().file = path;
  }
  return r;
}

ConfigResult<DataTree> parseString(
    const std::shared_ptr<YangContext>& ctx, std::string_view data, Format format) {
  ly_err_clean(ctx->raw(), nullptr);
  std::string copy(data);
  lyd_node* tree = nullptr;
  if (lyd_parse_data_mem(
          ctx->raw(),
          copy.c_str(),
          format == Format::Json ? LYD_JSON : LYD_XML,
          LYD_PARSE_STRICT | LYD_PARSE_NO_STATE,
          LYD_VALIDATE_NO_STATE,
          &tree) != LY_SUCCESS) {
    lyd_free_all(tree);
    return Unexpected<ConfigError>(ConfigError{{}, takeErrors(ctx->raw())});
  }
  return finish(ctx, tree);
}

ConfigResult<DataTree> emptyTree(const std::shared_ptr<YangContext>& ctx) {
  ly_err_clean(ctx->raw(), nullptr);
  return finish(ctx, nullptr);
}

std::string_view Node::name() const {
  return n_->schema != nullptr ? n_->schema->name : "";
}

std::string Node::value() const {
  const char* v = lyd_get_value(n_);
  return v != nullptr ? v : "";
}

bool Node::isDefault() const {
  return (n_->flags & LYD_DEFAULT) != 0;
}

std::string Node::path() const {
  char* p = lyd_path(n_, LYD_PATH_STD, nullptr, 0);
  std::string s = p != nullptr ? p : "";
  std::free(p);
  return s;
}

std::optional<Node> Node::child(std::string_view name) const {
  for (const lyd_node* c = lyd_child(n_); c != nullptr; c = c->next) {
    if (c->schema != nullptr && name == c->schema->name) {
      return Node(c);
    }
  }
  return std::nullopt;
}

std::vector<Node> Node::children(std::string_view name) const {
  std::vector<Node> out;
  for (const lyd_node* c = lyd_child(n_); c != nullptr; c = c->next) {
    if (c->schema != nullptr && name == c->schema->name) {
      out.emplace_back(c);
    }
  }
  return out;
}

std::optional<std::string> Node::leaf(std::string_view name) const {
  auto c = child(name);
  if (!c) {
    return std::nullopt;
  }
  return c->value();
}

std::vector<std::string> Node::leafList(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& c : children(name)) {
    out.push_back(c.value());
  }
  return out;
}

std::string Node::str(std::string_view name, std::string fallback) const {
  auto v = leaf(name);
  return v ? *v : fallback;
}

uint64_t Node::u64(std::string_view name, uint64_t fallback) const {
  auto v = leaf(name);
  if (!v || v->empty()) {
    return fallback;
  }
  return std::strtoull(v->c_str(), nullptr, 10);
}

bool Node::boolean(std::string_view name, bool fallback) const {
  auto v = leaf(name);
  if (!v) {
    return fallback;
  }
  return *v == "true";
}

}  // namespace hr::config
