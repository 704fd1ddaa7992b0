// Configuration: typed keys declared next to the code that uses them, set from a TOML file and
// from command-line flags.
//
// A component declares its keys once, each bound to a field of its options struct, with a
// default, one line of help and an optional check:
//
//   struct RpcOptions { int64_t deadline_ms; };
//   void AddRpcKeys(ConfigRegistry& r, RpcOptions* o) {
//     r.Add<int64_t>("rpc.deadline_ms", &o->deadline_ms, 5000, "RPC deadline in milliseconds",
//                    CheckRange<int64_t>(1, 3'600'000));
//   }
//
// A daemon's main adds every component's keys to one registry and calls ParseCommandLine, which
// loads `--config FILE`, applies the flags over it and runs every check. See
// docs/configuration.md.
//
// Thread-safety: a ConfigRegistry is not synchronised; it is filled and loaded on one thread at
// start-up, before the options it writes are shared.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "common/status.h"

namespace weft {

// The value types a key may have. A list is written as a TOML array of strings in a file and as
// comma-separated text in a flag.
template <typename T>
concept ConfigValue = std::same_as<T, bool> || std::same_as<T, int64_t> ||
    std::same_as<T, uint64_t> || std::same_as<T, double> || std::same_as<T, std::string> ||
    std::same_as<T, std::vector<std::string>>;

class ConfigRegistry {
 public:
  ConfigRegistry() = default;
  ConfigRegistry(const ConfigRegistry&) = delete;
  ConfigRegistry& operator=(const ConfigRegistry&) = delete;

  // Declares `key` (dotted lower-case name, e.g. "rpc.deadline_ms") bound to `*field`, and sets
  // `*field = default_value` now. `check`, if given, is run by Validate() on the final value and
  // returns a non-ok Status saying what is wrong ("must be between 1 and 10").
  // REQUIRES: `field` outlives every later call on this registry; `key` is not yet declared
  // and is made of [a-z0-9_.]. Breaking either is a programming error and aborts.
  template <ConfigValue T>
  void Add(std::string key, T* field, std::type_identity_t<T> default_value, std::string help,
           std::type_identity_t<std::function<Status(const T&)>> check = {}) {
    *field = std::move(default_value);
    std::function<Status()> bound_check;
    if (check) bound_check = [field, check = std::move(check)] { return check(*field); };
    AddEntry(std::move(key), Field(field), std::move(help), std::move(bound_check));
  }

  // Loads a TOML file. Tables become dotted prefixes: `[rpc]` then `deadline_ms = 5` sets
  // "rpc.deadline_ms". Keys not in the file keep their current value. An unknown key
  // (kConfigUnknownKey), a value of the wrong type (kConfigInvalid) or bad TOML (kConfigParse)
  // is an error naming the key and file:line; keys before the error may already be set.
  Status LoadTomlFile(const std::string& path);
  // The same for TOML text; `origin` stands in for the file name in errors.
  Status LoadTomlString(std::string_view text, std::string_view origin);

  // Sets `key` from text, parsed per its type: bool true/false/1/0/yes/no/on/off; integers in
  // decimal; a list as comma-separated items ("" is the empty list). Errors start with the key:
  // "rpc.deadline_ms: '5s' is not an integer" (kConfigInvalid), or kConfigUnknownKey.
  Status Set(std::string_view key, std::string_view value);

  // Runs every check in key order; the first failure is kConfigInvalid naming the key and the
  // bad value: "metrics.port = 70000: must be between -1 and 65535".
  Status Validate() const;

  // One line per key, sorted by name: name, type, default, help. Used by --help.
  std::string Describe() const;

  // Every declared key, sorted.
  std::vector<std::string> Keys() const;

 private:
  using Field =
      std::variant<bool*, int64_t*, uint64_t*, double*, std::string*, std::vector<std::string>*>;
  struct Entry {
    Field field;
    std::string help;
    std::string default_text;  // the default, formatted when the key was added
    std::function<Status()> check;
  };

  void AddEntry(std::string key, Field field, std::string help, std::function<Status()> check);
  const Entry* Find(std::string_view key) const;

  std::map<std::string, Entry, std::less<>> entries_;
};

// Checks for ConfigRegistry::Add.
template <typename T>
std::function<Status(const T&)> CheckRange(T lo, T hi) {
  return [lo, hi](const T& v) {
    if (v >= lo && v <= hi) return Status::Ok();
    return Status(StatusCode::kConfigInvalid,
                  "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  };
}
// The value must be one of `allowed` (compared exactly).
std::function<Status(const std::string&)> CheckOneOf(std::vector<std::string> allowed);

// What ParseCommandLine tells its caller to do next.
enum class ParseOutcome {
  kRun,        // options are loaded and valid
  kHelpShown,  // --help was given and usage went to stdout: exit 0
};

// Parses a daemon's or tool's command line:
//   --config FILE   TOML file loaded first;
//   --KEY VALUE     one flag per key (also --KEY=VALUE), applied over the file;
//   -h, --help      prints usage and every key with type, default and help to stdout.
// Then runs registry.Validate(). Any error (unknown flag, bad value, unreadable or bad file,
// failed check, stray argument) comes back as a Status whose message names the flag or key and
// points at --help; the caller prints it and exits 2.
Result<ParseOutcome> ParseCommandLine(int argc, const char* const* argv, std::string_view program,
                                      std::string_view description, ConfigRegistry& registry);

}  // namespace weft
