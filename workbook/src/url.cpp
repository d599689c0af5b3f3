// The workbook's one URL parser (see url.hpp for the grammar). It uses the
// standard library only: the scripts compile it on its own, before anything
// else is built (infra/wb-url).
#include "workbook/url.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace wb {

namespace {

constexpr std::string_view kValkeyForm = "redis://[user:password@]host:port[/db]";
constexpr std::string_view kPostgresForm = "postgresql://user:password@host:port/database";
constexpr std::string_view kEncodingHint =
    "; in a user name or password write @ as %40, : as %3A, / as %2F, ? as %3F, # as %23 and "
    "% as %25";

// The query settings each kind of URL takes: the only table to extend when a
// consumer starts using a new one. (The Valkey client takes none yet.)
const std::vector<std::string_view>& settings_for(bool postgres) {
  static const std::vector<std::string_view> valkey{};
  static const std::vector<std::string_view> pg{"sslmode", "connect_timeout", "application_name",
                                                "statement_timeout"};
  return postgres ? pg : valkey;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

bool is_valkey_scheme(std::string_view s) {
  return s == "redis" || s == "valkey" || s == "rediss" || s == "valkeys";
}
bool is_postgres_scheme(std::string_view s) { return s == "postgresql" || s == "postgres"; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Thrown by decode; the caller adds which part of the URL it was.
struct BadEscape {};
struct ControlByte {};

std::string decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) throw BadEscape{};
    int hi = hex_value(s[i + 1]);
    int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) throw BadEscape{};
    char c = static_cast<char>(hi * 16 + lo);
    if (is_control(c)) throw ControlByte{};
    out += c;
    i += 2;
  }
  return out;
}

// Replaces the value of every `password` setting in libpq's key=value form
// ("host=h password=secret", the value maybe 'quoted') or in a URL's query
// string ("?password=secret&...").
std::string redact_password_settings(std::string out) {
  const std::string word = "password";
  for (std::size_t pos = 0; (pos = out.find(word, pos)) != std::string::npos;) {
    bool starts_word = pos == 0 || out[pos - 1] == ' ' || out[pos - 1] == '?' ||
                       out[pos - 1] == '&' || out[pos - 1] == '\t';
    std::size_t i = pos + word.size();
    while (i < out.size() && out[i] == ' ') ++i;
    if (!starts_word || i >= out.size() || out[i] != '=') {
      pos += word.size();
      continue;
    }
    ++i;
    while (i < out.size() && out[i] == ' ') ++i;
    std::size_t end = i;
    if (end < out.size() && out[end] == '\'') {
      for (++end; end < out.size() && out[end] != '\''; ++end)
        if (out[end] == '\\') ++end;
      end = std::min(end + 1, out.size());
    } else {
      while (end < out.size() && out[end] != ' ' && out[end] != '&' && out[end] != '#') ++end;
    }
    out.replace(i, end - i, "***");
    pos = i + 3;
  }
  return out;
}

// Builds the errors of one parse: the URL shown redacted, the form expected.
class Complaint {
 public:
  explicit Complaint(std::string_view text) : shown_(redact_url(text)) {}
  void set_family(bool valkey, bool postgres) {
    valkey_ = valkey;
    postgres_ = postgres;
  }
  std::invalid_argument operator()(const std::string& why, bool encoding_hint = false) const {
    std::string form;
    if (valkey_)
      form = std::string(kValkeyForm);
    else if (postgres_)
      form = std::string(kPostgresForm);
    else
      form = std::string(kValkeyForm) + " or " + std::string(kPostgresForm);
    return std::invalid_argument("'" + shown_ + "' " + why + " (expected " + form + ")" +
                                 (encoding_hint ? std::string(kEncodingHint) : std::string()));
  }

 private:
  std::string shown_;
  bool valkey_ = false;
  bool postgres_ = false;
};

bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_' ||
         c == '~' || c == '%';
}

}  // namespace

bool Url::is_valkey() const { return is_valkey_scheme(scheme); }
bool Url::is_postgres() const { return is_postgres_scheme(scheme); }

std::string Url::setting(std::string_view name, std::string fallback) const {
  for (const auto& [key, value] : query)
    if (key == name) return value;
  return fallback;
}

bool Url::is_local() const { return host.empty() || host == "localhost" || host == "127.0.0.1"; }

Url parse_url(std::string_view text) {
  Complaint bad(text);
  if (std::any_of(text.begin(), text.end(), is_control))
    throw bad("has a control character (a line break, a tab, ...) in it");

  Url u;
  const auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0)
    throw bad("does not start with a scheme such as redis:// or postgresql://");
  const std::string_view scheme = text.substr(0, sep);
  if (!std::isalpha(static_cast<unsigned char>(scheme[0])) ||
      !std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
      }))
    throw bad("does not start with a scheme such as redis:// or postgresql://");
  u.scheme = lower(scheme);
  const bool postgres = is_postgres_scheme(u.scheme);
  bad.set_family(is_valkey_scheme(u.scheme), postgres);
  if (!u.is_valkey() && !postgres)
    throw bad("starts with " + u.scheme +
              "://, which the workbook does not know (it reads redis://, valkey://, rediss://, "
              "valkeys://, postgresql:// and postgres://)");
  u.tls = u.scheme == "rediss" || u.scheme == "valkeys";
  u.port = postgres ? 5432 : 6379;

  std::string_view rest = text.substr(sep + 3);
  // The user info: up to the last '@' before the query string (a raw '@' in a
  // password is forgiven; '?' and '#' are not).
  const auto query_start = rest.find_first_of("?#");
  const auto at = rest.substr(0, query_start).rfind('@');
  if (at != std::string_view::npos) {
    std::string_view info = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    const auto colon = info.find(':');
    try {
      if (colon == std::string_view::npos) {
        // redis://secret@host is AUTH secret; postgresql://alice@host is user alice.
        (postgres ? u.user : u.password) = decode(info);
      } else {
        u.user = decode(info.substr(0, colon));
        u.password = decode(info.substr(colon + 1));
      }
    } catch (const BadEscape&) {
      throw bad("has a '%' in its user name or password that does not start a %XX escape", true);
    } catch (const ControlByte&) {
      throw bad("has a control character (%00-%1F, %7F) in its user name or password");
    }
  }

  // host[:port]
  const auto host_end = rest.find_first_of("/?#");
  std::string_view hostport = rest.substr(0, host_end);
  rest = host_end == std::string_view::npos ? std::string_view() : rest.substr(host_end);
  std::string_view port;
  bool has_port = false;
  if (!hostport.empty() && hostport.front() == '[') {
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) throw bad("has an IPv6 address without its closing ']'");
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      throw bad("has something other than :port after the IPv6 address");
    std::string_view address = hostport.substr(1, close - 1);
    if (address.empty() || !std::all_of(address.begin(), address.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
        }))
      throw bad("has an IPv6 address that is not one");
    u.host = std::string(address);
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
  } else {
    const auto colon = hostport.rfind(':');
    std::string_view host = hostport.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port = hostport.substr(colon + 1);
    }
    if (!std::all_of(host.begin(), host.end(), host_char))
      throw bad("has a host name with a character a host name cannot hold",
                at == std::string_view::npos);
    try {
      u.host = decode(host);
    } catch (const BadEscape&) {
      throw bad("has a '%' in its host name that does not start a %XX escape");
    } catch (const ControlByte&) {
      throw bad("has a control character in its host name");
    }
  }
  if (has_port) {
    if (!all_digits(port) || port.size() > 5)
      throw bad("has a port that is not a number", at == std::string_view::npos);
    u.port = std::stoi(std::string(port));
    if (u.port < 1 || u.port > 65535) throw bad("has a port out of range (1 to 65535)");
    u.has_port = true;
  }

  // /path
  if (!rest.empty() && rest.front() == '/') {
    const auto path_end = rest.find_first_of("?#");
    try {
      u.path = decode(rest.substr(1, path_end == std::string_view::npos ? path_end : path_end - 1));
    } catch (const BadEscape&) {
      throw bad("has a '%' in its path that does not start a %XX escape");
    } catch (const ControlByte&) {
      throw bad("has a control character in its path");
    }
    rest = path_end == std::string_view::npos ? std::string_view() : rest.substr(path_end);
    if (u.is_valkey() && !u.path.empty()) {
      if (!all_digits(u.path)) throw bad("has a database number that is not a number");
      // More digits than an int holds would make std::stoi throw out_of_range.
      if (u.path.size() > 9) throw bad("has a database number that is too large");
      u.db = std::stoi(u.path);
    }
  }

  // ?setting=value&...
  if (!rest.empty() && rest.front() == '?') {
    const auto query_end = rest.find('#');
    std::string_view query =
        rest.substr(1, query_end == std::string_view::npos ? query_end : query_end - 1);
    rest = query_end == std::string_view::npos ? std::string_view() : rest.substr(query_end);
    const auto& known = settings_for(postgres);
    std::string known_list;
    for (auto k : known) known_list += (known_list.empty() ? "" : ", ") + std::string(k);
    while (!query.empty()) {
      const auto amp = query.find('&');
      std::string_view item = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      if (item.empty()) continue;
      const auto eq = item.find('=');
      std::string key, value;
      try {
        key = decode(item.substr(0, eq));
        value = eq == std::string_view::npos ? std::string() : decode(item.substr(eq + 1));
      } catch (const BadEscape&) {
        throw bad("has a '%' in its query string that does not start a %XX escape");
      } catch (const ControlByte&) {
        throw bad("has a control character in its query string");
      }
      if (key == "password")
        throw bad("gives a password in its query string: put it in the user info instead");
      if (std::find(known.begin(), known.end(), key) == known.end())
        throw bad("sets '" + key + "' in its query string, which the workbook does not use (" +
                  (known.empty() ? std::string("a Valkey URL takes no settings")
                                 : "it knows " + known_list) +
                  ")");
      if (eq == std::string_view::npos || value.empty())
        throw bad("sets '" + key + "' without a value");
      if (!u.setting(key).empty()) throw bad("sets '" + key + "' twice");
      u.query.emplace_back(std::move(key), std::move(value));
    }
  }
  if (!rest.empty()) throw bad("has a fragment (#...), which means nothing here");
  return u;
}

std::string redact_url(std::string_view text) {
  std::string out(text);
  const auto sep = out.find("://");
  if (sep != std::string::npos) {
    const bool postgres = is_postgres_scheme(lower(out.substr(0, sep)));
    const std::size_t start = sep + 3;
    // The LAST '@' anywhere: even one in a query string. Hiding too much beats
    // showing a password that held a raw '@', '/', '?' or '#'.
    const auto at = out.rfind('@');
    if (at != std::string::npos && at >= start) {
      const auto colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) {
        if (at > colon + 1) out.replace(colon + 1, at - colon - 1, "***");
      } else if (!postgres && at > start) {
        out.replace(start, at - start, "***");  // redis://secret@host: the password alone
      }
    }
  }
  return redact_password_settings(out);
}

}  // namespace wb
