// Helpers shared by the support library's own tests.
#pragma once

#include <chrono>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "workbook/valkey.hpp"

namespace wb_test {

// What a call threw: the most specific type of the client's hierarchy (or of
// the standard ones the client uses) and the message.
struct Thrown {
  std::string type;  // "TimeoutError", "IoError", ..., or "nothing"
  std::string what;
};

template <typename F>
Thrown thrown_by(F&& f) {
  try {
    f();
  } catch (const wb::TimeoutError& e) {
    return {"TimeoutError", e.what()};
  } catch (const wb::IoError& e) {
    return {"IoError", e.what()};
  } catch (const wb::ClosedError& e) {
    return {"ClosedError", e.what()};
  } catch (const wb::ReplyError& e) {
    return {"ReplyError", e.what()};
  } catch (const wb::Error& e) {
    return {"Error", e.what()};
  } catch (const std::invalid_argument& e) {
    return {"std::invalid_argument", e.what()};
  } catch (const std::logic_error& e) {
    return {"std::logic_error", e.what()};
  } catch (const std::exception& e) {
    return {"std::exception", e.what()};
  }
  return {"nothing", ""};
}

inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Milliseconds spent in f().
template <typename F>
long long millis_of(F&& f) {
  auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// VALKEY_URL's server with another database number (credentials kept).
inline std::string url_with_db(int db) {
  wb::ConnectionOptions o = wb::ConnectionOptions::from_env();
  std::string credentials;
  if (!o.password.empty()) credentials = o.user + ":" + o.password + "@";
  return "redis://" + credentials + o.host + ":" + std::to_string(o.port) + "/" +
         std::to_string(db);
}

// Sets an environment variable for one test and puts the old value back.
class EnvGuard {
 public:
  EnvGuard(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~EnvGuard() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace wb_test
