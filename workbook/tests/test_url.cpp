// The workbook's one URL parser (workbook/url.hpp): what VALKEY_URL and
// DATABASE_URL mean to the client, the PostgreSQL helper and the scripts.
#include <string>
#include <vector>

#include "support.hpp"
#include "workbook/catch.hpp"
#include "workbook/url.hpp"

using wb_test::contains;

namespace {
// The message of the std::invalid_argument that parse_url throws ("" if none).
std::string refusal(const std::string& url) {
  auto t = wb_test::thrown_by([&] { wb::parse_url(url); });
  INFO(url << " -> " << t.type << ": " << t.what);
  CHECK(t.type == "std::invalid_argument");
  return t.what;
}

// A password that holds every character that has a meaning in a URL.
const std::string kNastyPassword = "p@ss:w%rd/?#@:%41";
const std::string kNastyEncoded = "p%40ss%3Aw%25rd%2F%3F%23%40%3A%2541";
}  // namespace

TEST_CASE("a Valkey URL gives scheme, user, password, host, port and database number") {
  auto u = wb::parse_url("redis://alice:s3cret@cache.example:6380/2");
  CHECK(u.scheme == "redis");
  CHECK(u.user == "alice");
  CHECK(u.password == "s3cret");
  CHECK(u.host == "cache.example");
  CHECK(u.port == 6380);
  CHECK(u.has_port);
  CHECK(u.path == "2");
  CHECK(u.db == 2);
  CHECK_FALSE(u.tls);
  CHECK(u.is_valkey());
  CHECK_FALSE(u.is_postgres());
  CHECK_FALSE(u.is_local());
}

TEST_CASE("what a URL leaves out takes the scheme's defaults") {
  auto v = wb::parse_url("valkey://127.0.0.1");
  CHECK(v.port == 6379);
  CHECK_FALSE(v.has_port);
  CHECK(v.db == 0);
  CHECK(v.user.empty());
  CHECK(v.password.empty());
  CHECK(v.is_local());
  auto p = wb::parse_url("postgresql://localhost/workbook");
  CHECK(p.port == 5432);
  CHECK(p.path == "workbook");
  CHECK(p.is_local());
  auto empty_host = wb::parse_url("redis://:pw@:7000");
  CHECK(empty_host.host.empty());
  CHECK(empty_host.port == 7000);
  CHECK(empty_host.is_local());
}

TEST_CASE("the scheme is case-insensitive and rediss:// (or valkeys://) asks for TLS") {
  CHECK(wb::parse_url("Redis://h").scheme == "redis");
  CHECK(wb::parse_url("VALKEY://h").is_valkey());
  CHECK(wb::parse_url("PostgreSQL://u:p@h/db").is_postgres());
  CHECK(wb::parse_url("postgres://u:p@h/db").is_postgres());
  CHECK(wb::parse_url("rediss://h:6380").tls);
  CHECK(wb::parse_url("valkeys://h").tls);
  CHECK_FALSE(wb::parse_url("redis://h").tls);
}

TEST_CASE("a lone credential is the password in a Valkey URL and the user in a PostgreSQL one") {
  auto v = wb::parse_url("redis://secret@h");
  CHECK(v.user.empty());
  CHECK(v.password == "secret");
  auto p = wb::parse_url("postgresql://alice@h/db");
  CHECK(p.user == "alice");
  CHECK(p.password.empty());
}

TEST_CASE("the user info is percent-decoded, so a password may hold any character") {
  auto u = wb::parse_url("redis://us%65r:" + kNastyEncoded + "@h:1/3");
  CHECK(u.user == "user");
  CHECK(u.password == kNastyPassword);
  CHECK(u.host == "h");
  CHECK(u.port == 1);
  CHECK(u.db == 3);
  auto p = wb::parse_url("postgresql://workbook:" + kNastyEncoded + "@127.0.0.1:25432/work%20book");
  CHECK(p.password == kNastyPassword);
  CHECK(p.path == "work book");
}

TEST_CASE("a raw '@' or ':' in a password is forgiven: the user info ends at the last '@'") {
  auto u = wb::parse_url("redis://u:p@ss:w@h:1/15");
  CHECK(u.user == "u");
  CHECK(u.password == "p@ss:w");
  CHECK(u.host == "h");
  CHECK(u.db == 15);
}

TEST_CASE("IPv6 addresses are written in brackets and read without them") {
  auto u = wb::parse_url("redis://[::1]:6390/1");
  CHECK(u.host == "::1");
  CHECK(u.port == 6390);
  CHECK(u.db == 1);
  CHECK(wb::parse_url("postgresql://u:p@[fe80::1]/db").host == "fe80::1");
}

TEST_CASE("a PostgreSQL URL's query settings are used by name") {
  auto p = wb::parse_url(
      "postgresql://u:p@h/db?sslmode=disable&connect_timeout=5&application_name=my%20app&"
      "statement_timeout=1500");
  CHECK(p.setting("sslmode") == "disable");
  CHECK(p.setting("connect_timeout") == "5");
  CHECK(p.setting("application_name") == "my app");
  CHECK(p.setting("statement_timeout") == "1500");
  CHECK(p.setting("nothing", "fallback") == "fallback");
  CHECK(p.query.size() == 4u);
}

TEST_CASE("a query setting nobody uses is refused by name") {
  CHECK(contains(refusal("postgresql://u:p@h/db?sslmod=disable"), "'sslmod'"));
  CHECK(contains(refusal("postgresql://u:p@h/db?sslmod=disable"), "sslmode, connect_timeout"));
  CHECK(contains(refusal("redis://h:1?timeout=5"), "'timeout'"));
  CHECK(contains(refusal("redis://h:1?timeout=5"), "a Valkey URL takes no settings"));
  CHECK(contains(refusal("postgresql://u:p@h/db?sslmode"), "without a value"));
  CHECK(contains(refusal("postgresql://u:p@h/db?sslmode=a&sslmode=b"), "twice"));
}

TEST_CASE("a bad URL is refused with a reason and the form expected") {
  struct Case {
    const char* url;
    const char* reason;
  };
  for (Case c :
       {Case{"http://127.0.0.1:6379", "http://"}, Case{"127.0.0.1:6379", "scheme"},
        Case{"://h", "scheme"}, Case{"redis://host:port", "port"}, Case{"redis://host:", "port"},
        Case{"redis://host:70000", "port"}, Case{"redis://host:0", "port"},
        Case{"redis://host:6379/zero", "database"},
        Case{"redis://host:6379/99999999999999999999", "database"}, Case{"redis://[::1:6379", "]"},
        Case{"redis://[::1]x", "after the IPv6"}, Case{"redis://ho st:1", "host name"},
        Case{"redis://h:1#frag", "fragment"}, Case{"redis://:50%@h:1", "%XX"},
        Case{"redis://:pw%0a@h:1", "control"}, Case{"redis://h:1\n", "control"}}) {
    std::string why = refusal(c.url);
    CHECK(contains(why, c.reason));
    CHECK(contains(why, "(expected "));
  }
  CHECK(contains(refusal("redis://h:x"), "redis://[user:password@]host:port[/db]"));
  CHECK(contains(refusal("postgresql://u:p@h:x/db"),
                 "postgresql://user:password@host:port/database"));
}

TEST_CASE("no refusal ever shows the password, however broken the URL") {
  // Each is broken somewhere; each holds the password "hunter2xyz".
  for (std::string url :
       {"redis://alice:hunter2xyz@host:oops", "redis://hunter2xyz@host:oops",
        "redis://:hunter2xyz@host:1/x", "redis://:hunter2xyz%zz@h:1", "redis://:hunter2xyz/@h:x",
        "redis://:hunter2xyz?@h:1", "redis://:hunter2xyz#@h:1",
        "postgresql://u:hunter2xyz@h/db?x=1", "postgresql://u@h/db?password=hunter2xyz",
        "postgresql://u:hunter2xyz@h/db?password=hunter2xyz", "http://u:hunter2xyz@h",
        "redis://u:hunter2xyz@h:1?a=b@c"}) {
    auto t = wb_test::thrown_by([&] { wb::parse_url(url); });
    INFO(url << " -> " << t.type << ": " << t.what);
    CHECK(t.type == "std::invalid_argument");
    CHECK_FALSE(contains(t.what, "hunter2"));
  }
  auto t = wb_test::thrown_by([&] { wb::parse_url("redis://alice:hunter2@host:oops"); });
  CHECK(contains(t.what, "'redis://alice:***@host:oops'"));
}

TEST_CASE("the @:% password survives a round trip through the parser and never shows") {
  const std::string url = "redis://default:" + kNastyEncoded + "@127.0.0.1:6401";
  CHECK(wb::parse_url(url).password == kNastyPassword);
  const std::string shown = wb::redact_url(url);
  CHECK(shown == "redis://default:***@127.0.0.1:6401");
  CHECK_FALSE(contains(shown, "p%40ss"));
}

TEST_CASE("redact_url hides the password in every form") {
  CHECK(wb::redact_url("redis://u:pw@h:1/2") == "redis://u:***@h:1/2");
  CHECK(wb::redact_url("redis://pw@h:1") == "redis://***@h:1");
  CHECK(wb::redact_url("redis://h:1") == "redis://h:1");
  CHECK(wb::redact_url("redis://u:@h:1") == "redis://u:@h:1");
  CHECK(wb::redact_url("REDIS://u:p@w@h") == "REDIS://u:***@h");
  CHECK(wb::redact_url("postgresql://u:pw@h:5432/db") == "postgresql://u:***@h:5432/db");
  CHECK(wb::redact_url("postgresql://u@h/db") == "postgresql://u@h/db");
  CHECK(wb::redact_url("postgresql://u@h/db?password=pw&sslmode=disable") ==
        "postgresql://u@h/db?password=***&sslmode=disable");
  CHECK(wb::redact_url("host=h password='p w' user=u") == "host=h password=*** user=u");
  CHECK(wb::redact_url("") == "");
  CHECK(wb::redact_url("not a url at all") == "not a url at all");
}

TEST_CASE(
    "the client takes rediss:// as TLS, and its refusal or failure never shows the password") {
  // (TLS itself, and its refusal where hiredis has none: test_connection.cpp.)
  auto o = wb::ConnectionOptions::from_url("rediss://:secret@127.0.0.1:1");
  CHECK(o.tls);
  CHECK(o.password == "secret");
  wb::Valkey client(o);
  auto t = wb_test::thrown_by([&] { client.ping(); });
  INFO(t.type << ": " << t.what);
  CHECK((t.type == "Error" || t.type == "IoError"));
  CHECK_FALSE(contains(t.what, "secret"));
}
