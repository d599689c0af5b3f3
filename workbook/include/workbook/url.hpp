// One grammar for the workbook's URLs: VALKEY_URL and DATABASE_URL are read by
// this parser and by nothing else. The Valkey client (ConnectionOptions::
// from_url), the PostgreSQL helper (wb::Database) and the scripts (through
// the `workbook-url` tool, workbook/tools/url_tool.cpp) all call it, so a URL
// means the same thing to every part of the workbook.
//
//   redis://[[user:]password@]host[:port][/db]       also valkey://
//   rediss://[[user:]password@]host[:port][/db]      TLS (also valkeys://)
//   postgresql://[user[:password]@]host[:port][/database][?setting=value&...]
//                                                    also postgres://
//
// The rules (RFC 3986, with two kindnesses for hand-written URLs):
// - The scheme is case-insensitive ("Redis://" is "redis://").
// - The user info is percent-decoded: a password holding '@', ':', '/', '?',
//   '#' or '%' is written %40, %3A, %2F, %3F, %23 and %25. Kindness one: the
//   user info ends at the LAST '@' before the path, so a raw '@' in a password
//   still works; kindness two: a raw ':' after the first one is part of the
//   password (RFC 3986 allows it).
// - redis:// (as redis-cli and redis-plus-plus read it): a user info without
//   ':' is the password. postgresql:// (as libpq reads it): it is the user.
// - A query string is either used or refused by name: Valkey URLs take none;
//   PostgreSQL URLs take sslmode, connect_timeout, application_name and
//   statement_timeout (milliseconds: the workbook's time limit on one
//   statement, see postgres.hpp). Anything else is an error naming it.
// - Control characters (a decoded %00-%1F or %7F) are refused anywhere: they
//   would end a C string early or break a log line.
// Every error is std::invalid_argument whose message shows the URL through
// redact_url: never its password.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wb {

struct Url {
  std::string scheme;     // lower case: redis, valkey, rediss, valkeys, postgresql, postgres
  std::string user;       // decoded; empty when the URL names none
  std::string password;   // decoded; empty when the URL gives none
  std::string host;       // decoded, IPv6 without its brackets; may be empty
  int port = 0;           // the URL's port, or the scheme's own (6379, 5432)
  bool has_port = false;  // whether the URL wrote one
  std::string path;       // decoded, without the leading '/': "2", "workbook"
  int db = 0;             // Valkey URLs: the database number of the path (0 if none)
  bool tls = false;       // rediss:// and valkeys://
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order

  bool is_valkey() const;    // redis, valkey, rediss, valkeys
  bool is_postgres() const;  // postgresql, postgres
  // The value of query setting `name`, or `fallback` when the URL has none.
  std::string setting(std::string_view name, std::string fallback = {}) const;
  // The host is this machine: empty (the default), "localhost" or "127.0.0.1".
  // Those are the URLs the workbook starts servers for.
  bool is_local() const;
};

// Parses `text` (see the rules above); throws std::invalid_argument.
Url parse_url(std::string_view text);

// `text` as it may be shown: the password replaced by ***. Works on any text,
// a URL that does not parse included (it hides too much rather than too
// little), and on libpq's key=value form ("host=h password=secret").
std::string redact_url(std::string_view text);

}  // namespace wb
