// The first line every lesson's example prints: which server it talks to.
//
//   wb::Valkey client;
//   std::cout << wb::example::banner(client) << "\n\n";
//   // Connected to valkey 8.0.1 at 127.0.0.1:6379
//
// banner() connects and asks the server first, and only then returns the
// line, so a server that is not there gives one clear message (and nothing
// half-printed before it):
//   Cannot reach Valkey at redis://127.0.0.1:6379 (VALKEY_URL): ... Start the
//   servers with: make infra-up
// A server that refuses the URL's password says that instead. The URL is
// shown without its password.
#pragma once

#include <stdexcept>
#include <string>

#include "workbook/postgres.hpp"
#include "workbook/url.hpp"
#include "workbook/valkey.hpp"

namespace wb::example {

namespace detail {
// `text` ending in one full stop.
inline std::string sentence(std::string text) {
  if (text.empty() || (text.back() != '.' && text.back() != '?' && text.back() != '!')) text += '.';
  return text;
}

inline bool login_refused(const std::string& server_text) {
  return server_text.rfind("WRONGPASS", 0) == 0 || server_text.rfind("NOAUTH", 0) == 0 ||
         server_text.find("AUTH") != std::string::npos;
}

// "valkey 8.0.1 at 127.0.0.1:6379", asked of the server.
inline std::string describe(Valkey& client) {
  const std::string shown = redact_url(valkey_url_from_env());
  try {
    client.ping();
    return client.server_name() + " " + client.server_version() + " at " +
           client.options().address();
  } catch (const ReplyError& e) {
    if (login_refused(e.server_text()))
      throw std::runtime_error("Valkey at " + shown +
                               " (VALKEY_URL) refused the login: " + sentence(e.server_text()) +
                               " Put the server's password in VALKEY_URL "
                               "(redis://:PASSWORD@host:port).");
    throw;
  } catch (const IoError& e) {
    throw std::runtime_error("Cannot reach Valkey at " + shown + " (VALKEY_URL): " +
                             sentence(e.what()) + " Start the servers with: make infra-up");
  }
}
}  // namespace detail

// "Connected to valkey 8.0.1 at 127.0.0.1:6379"
inline std::string banner(Valkey& client) { return "Connected to " + detail::describe(client); }

// "Connected to valkey 8.0.1 at 127.0.0.1:6379 and postgresql 15.18"
inline std::string banner(Valkey& client, Database& db) {
  std::string valkey = detail::describe(client);
  return "Connected to " + valkey + " and postgresql " + db.server_version();
}

}  // namespace wb::example
