#include "common/config.h"

#include <toml++/toml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace weft {
namespace {

// ---- Text <-> values -------------------------------------------------------------------------

const char* TypeName(const auto* field) {
  using T = std::remove_cvref_t<decltype(*field)>;
  if constexpr (std::is_same_v<T, bool>) return "bool";
  if constexpr (std::is_same_v<T, int64_t>) return "int64";
  if constexpr (std::is_same_v<T, uint64_t>) return "uint64";
  if constexpr (std::is_same_v<T, double>) return "double";
  if constexpr (std::is_same_v<T, std::string>) return "string";
  if constexpr (std::is_same_v<T, std::vector<std::string>>) return "list";
}

std::string Format(bool v) { return v ? "true" : "false"; }
std::string Format(int64_t v) { return std::to_string(v); }
std::string Format(uint64_t v) { return std::to_string(v); }
std::string Format(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, end);
}
std::string Format(const std::string& v) { return "\"" + v + "\""; }
std::string Format(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + "\"";
  return out + "]";
}

Status BadValue(std::string_view value, std::string_view what) {
  return Status(StatusCode::kConfigInvalid,
                "'" + std::string(value) + "' is not " + std::string(what));
}

Status Parse(std::string_view text, bool* out) {
  static constexpr std::string_view kTrue[] = {"true", "1", "yes", "on"};
  static constexpr std::string_view kFalse[] = {"false", "0", "no", "off"};
  bool is_true = std::ranges::find(kTrue, text) != std::end(kTrue);
  bool is_false = std::ranges::find(kFalse, text) != std::end(kFalse);
  if (!is_true && !is_false) return BadValue(text, "a bool (true or false)");
  *out = is_true;
  return Status::Ok();
}

template <typename T>
Status ParseNumber(std::string_view text, T* out, std::string_view what) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) return BadValue(text, std::string(what) + " in range");
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return BadValue(text, what);
  }
  *out = v;
  return Status::Ok();
}

Status Parse(std::string_view text, int64_t* out) { return ParseNumber(text, out, "an integer"); }
Status Parse(std::string_view text, uint64_t* out) {
  return ParseNumber(text, out, "a non-negative integer");
}
Status Parse(std::string_view text, double* out) { return ParseNumber(text, out, "a number"); }
Status Parse(std::string_view text, std::string* out) {
  *out = std::string(text);
  return Status::Ok();
}
Status Parse(std::string_view text, std::vector<std::string>* out) {
  out->clear();
  while (!text.empty()) {
    size_t comma = text.find(',');
    out->emplace_back(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return Status::Ok();
}

// ---- TOML values -----------------------------------------------------------------------------

const char* TomlTypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a bool";
    default:
      return "a date or time";
  }
}

Status WrongType(const toml::node& node, std::string_view wanted) {
  return Status(StatusCode::kConfigInvalid,
                "expected " + std::string(wanted) + ", got " + std::string(TomlTypeName(node)));
}

template <typename T, typename Toml = T>
Status FromTomlExact(const toml::node& node, T* out, std::string_view wanted) {
  std::optional<Toml> v = node.value_exact<Toml>();
  if (!v) return WrongType(node, wanted);
  *out = *v;
  return Status::Ok();
}

Status FromToml(const toml::node& node, bool* out) { return FromTomlExact(node, out, "a bool"); }
Status FromToml(const toml::node& node, int64_t* out) {
  return FromTomlExact(node, out, "an integer");
}
Status FromToml(const toml::node& node, uint64_t* out) {
  int64_t v = 0;
  WEFT_RETURN_IF_ERROR(FromTomlExact(node, &v, "a non-negative integer"));
  if (v < 0) return Status(StatusCode::kConfigInvalid, std::to_string(v) + " is negative");
  *out = static_cast<uint64_t>(v);
  return Status::Ok();
}
Status FromToml(const toml::node& node, double* out) {
  if (node.is_integer()) return FromTomlExact<double, int64_t>(node, out, "a number");
  return FromTomlExact(node, out, "a number");
}
Status FromToml(const toml::node& node, std::string* out) {
  return FromTomlExact(node, out, "a string");
}
Status FromToml(const toml::node& node, std::vector<std::string>* out) {
  const toml::array* array = node.as_array();
  if (array == nullptr) return WrongType(node, "an array of strings");
  std::vector<std::string> items;
  for (const toml::node& item : *array) {
    WEFT_RETURN_IF_ERROR(FromTomlExact(item, &items.emplace_back(), "an array of strings"));
  }
  *out = std::move(items);
  return Status::Ok();
}

// "file:line: " for a node, or "file: " when toml++ knows no position.
std::string Where(const toml::node& node, std::string_view origin) {
  const toml::source_region& src = node.source();
  std::string where(origin);
  if (src.begin.line > 0) where += ":" + std::to_string(src.begin.line);
  return where + ": ";
}

bool ValidKey(std::string_view key) {
  if (key.empty() || key.front() == '.' || key.back() == '.') return false;
  return std::ranges::all_of(key, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  });
}

}  // namespace

// ---- ConfigRegistry --------------------------------------------------------------------------

void ConfigRegistry::AddEntry(std::string key, Field field, std::string help,
                              std::function<Status()> check) {
  if (!ValidKey(key) || entries_.contains(key)) {
    std::fprintf(stderr, "weft: configuration key '%s' is malformed or declared twice\n",
                 key.c_str());
    std::abort();
  }
  std::string default_text = std::visit([](auto* f) { return Format(*f); }, field);
  entries_.emplace(std::move(key),
                   Entry{field, std::move(help), std::move(default_text), std::move(check)});
}

const ConfigRegistry::Entry* ConfigRegistry::Find(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

Status ConfigRegistry::Set(std::string_view key, std::string_view value) {
  const Entry* entry = Find(key);
  if (entry == nullptr) {
    return Status(StatusCode::kConfigUnknownKey,
                  "unknown configuration key '" + std::string(key) + "'");
  }
  Status st = std::visit([value](auto* f) { return Parse(value, f); }, entry->field);
  if (!st.ok()) return Status(st.code(), std::string(key) + ": " + st.message());
  return Status::Ok();
}

Status ConfigRegistry::Validate() const {
  for (const auto& [key, entry] : entries_) {
    if (!entry.check) continue;
    Status st = entry.check();
    if (st.ok()) continue;
    std::string value = std::visit([](auto* f) { return Format(*f); }, entry.field);
    return Status(StatusCode::kConfigInvalid, key + " = " + value + ": " + st.message());
  }
  return Status::Ok();
}

std::string ConfigRegistry::Describe() const {
  size_t key_width = 0, default_width = 0;
  for (const auto& [key, entry] : entries_) {
    key_width = std::max(key_width, key.size());
    default_width = std::max(default_width, entry.default_text.size());
  }
  std::string out;
  char line[1024];
  for (const auto& [key, entry] : entries_) {
    const char* type = std::visit([](auto* f) { return TypeName(f); }, entry.field);
    std::snprintf(line, sizeof(line), "  %-*s  %-6s  %-*s  ", static_cast<int>(key_width),
                  key.c_str(), type, static_cast<int>(default_width), entry.default_text.c_str());
    out += line + entry.help + "\n";
  }
  return out;
}

std::vector<std::string> ConfigRegistry::Keys() const {
  std::vector<std::string> keys;
  for (const auto& [key, entry] : entries_) keys.push_back(key);
  return keys;
}

// ---- TOML loading ----------------------------------------------------------------------------

namespace {

// Applies every value in `table` (recursing into sub-tables) to `entries`, keys prefixed by
// `prefix`. Templated on the entry map so it can stay out of the header.
template <typename Entries>
Status ApplyTable(const toml::table& table, const std::string& prefix, std::string_view origin,
                  const Entries& entries) {
  for (const auto& [name, node] : table) {
    std::string key = prefix + std::string(name.str());
    auto it = entries.find(key);
    if (it == entries.end() && node.is_table()) {
      WEFT_RETURN_IF_ERROR(ApplyTable(*node.as_table(), key + ".", origin, entries));
      continue;
    }
    if (it == entries.end()) {
      return Status(StatusCode::kConfigUnknownKey,
                    Where(node, origin) + "unknown configuration key '" + key + "'");
    }
    Status st = std::visit([&node](auto* f) { return FromToml(node, f); }, it->second.field);
    if (!st.ok()) return Status(st.code(), Where(node, origin) + key + ": " + st.message());
  }
  return Status::Ok();
}

}  // namespace

Status ConfigRegistry::LoadTomlString(std::string_view text, std::string_view origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const toml::source_position& pos = e.source().begin;
    return Status(StatusCode::kConfigParse, std::string(origin) + ":" + std::to_string(pos.line) +
                                                ":" + std::to_string(pos.column) + ": " +
                                                std::string(e.description()));
  }
  return ApplyTable(root, "", origin, entries_);
}

Status ConfigRegistry::LoadTomlFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoStatus("reading configuration file " + path, errno);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return ErrnoStatus("reading configuration file " + path, errno);
  return LoadTomlString(text.str(), path);
}

std::function<Status(const std::string&)> CheckOneOf(std::vector<std::string> allowed) {
  return [allowed = std::move(allowed)](const std::string& v) {
    if (std::ranges::find(allowed, v) != allowed.end()) return Status::Ok();
    std::string list;
    for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
    return Status(StatusCode::kConfigInvalid, "must be one of: " + list);
  };
}

// ---- Command line ----------------------------------------------------------------------------

namespace {

std::string HelpHint(std::string_view program) {
  return " (run '" + std::string(program) + " --help' to list every key with its type)";
}

Status CliError(const CLI::ParseError& e, std::string_view program) {
  StatusCode code = dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr
                        ? StatusCode::kConfigUnknownKey
                        : StatusCode::kConfigInvalid;
  return Status(code, std::string(e.what()) + HelpHint(program));
}

constexpr char kKeysGroup[] =
    "Configuration keys (in the --config file, or as --KEY VALUE or --KEY=VALUE; flags win)";

// Lists the keys with ConfigRegistry::Describe rather than CLI11's layout of one option per entry.
class KeysFormatter : public CLI::Formatter {
 public:
  explicit KeysFormatter(std::string keys_text) : keys_text_(std::move(keys_text)) {}

  std::string make_group(std::string group, bool is_positional,
                         std::vector<const CLI::Option*> opts) const override {
    if (group != kKeysGroup) return CLI::Formatter::make_group(group, is_positional, opts);
    return group + ":\n" + keys_text_;
  }

 private:
  std::string keys_text_;
};

// Loads the file, then every flag given, in key order (a key is set at most once).
Status ApplySources(const std::string& config_path, const std::vector<std::string>& keys,
                    const std::vector<CLI::Option*>& options, std::string_view program,
                    ConfigRegistry& registry) {
  if (!config_path.empty()) WEFT_RETURN_IF_ERROR(registry.LoadTomlFile(config_path));
  for (size_t i = 0; i < keys.size(); ++i) {
    if (options[i]->count() == 0) continue;
    Status st = registry.Set(keys[i], options[i]->results().back());
    // Set's message starts with the key; "--" turns it into the flag the user typed.
    if (!st.ok()) return Status(st.code(), "--" + st.message() + HelpHint(program));
  }
  return registry.Validate();
}

}  // namespace

Result<ParseOutcome> ParseCommandLine(int argc, const char* const* argv, std::string_view program,
                                      std::string_view description, ConfigRegistry& registry) {
  CLI::App app{std::string(description), std::string(program)};
  std::string config_path;
  app.add_option("--config", config_path, "TOML configuration file; flags override it")
      ->type_name("FILE");
  std::vector<std::string> keys = registry.Keys();
  std::vector<CLI::Option*> options;
  for (const std::string& key : keys) {
    options.push_back(app.add_option("--" + key)
                          ->group(kKeysGroup)
                          ->type_name("VALUE")
                          ->expected(1)
                          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast));
  }
  app.formatter(std::make_shared<KeysFormatter>(registry.Describe()));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help() << std::flush;
    return ParseOutcome::kHelpShown;
  } catch (const CLI::ParseError& e) {
    return CliError(e, program);
  }
  WEFT_RETURN_IF_ERROR(ApplySources(config_path, keys, options, program, registry));
  return ParseOutcome::kRun;
}

}  // namespace weft
