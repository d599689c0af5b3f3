// workbook-url: the workbook's URL parser (workbook/url.hpp) for the scripts,
// so that infra/infra.sh, scripts/doctor and the rest read VALKEY_URL and
// DATABASE_URL exactly as the C++ code does. It takes the NAME of an
// environment variable, never the URL itself: a password in a command line
// is visible to every user of the machine (ps), one in the environment is not.
//
//   workbook-url shell PREFIX VAR [DEFAULT]
//       The parts of $VAR (DEFAULT when VAR is unset or empty) as shell
//       assignments, each value single-quoted, for `eval`:
//         PREFIX_SCHEME PREFIX_USER PREFIX_PASSWORD PREFIX_HOST PREFIX_PORT
//         PREFIX_PATH PREFIX_DB PREFIX_TLS (0/1) PREFIX_LOCAL (0/1)
//         PREFIX_SHOWN (the URL with its password hidden)
//         PREFIX_SET_<NAME> for each query setting (PREFIX_SET_SSLMODE, ...)
//       A URL that does not parse: nothing on stdout, the reason (naming VAR,
//       never the password) on stderr, exit 2.
//   workbook-url redact VAR
//       $VAR with its password hidden (any text: it need not parse).
//   workbook-url valkey-conf VAR
//       The lines of a valkey.conf that make a server ask for $VAR's password
//       (`requirepass "..."`, quoted as the config file wants), or nothing
//       when the URL has none. A config file (or stdin) keeps the password
//       out of the server's command line.
//   workbook-url pg-setup-sql VAR
//       SQL for psql, run by the cluster's superuser over the Unix socket:
//       makes $VAR's user an ordinary role (no superuser, no CREATEDB, no
//       CREATEROLE) with the URL's password, and the owner of the URL's
//       database, creating both when missing. The password travels in the
//       SQL on stdin, never in a command line or in the server's log.
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "workbook/url.hpp"

namespace {

int usage() {
  std::cerr << "usage: workbook-url shell PREFIX VAR [DEFAULT] | redact VAR | valkey-conf VAR | "
               "pg-setup-sql VAR\n";
  return 64;
}

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  if (v && *v) return v;
  return fallback ? fallback : "";
}

// 'text' for a POSIX shell: safe inside eval whatever the text holds.
std::string shell_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// "text" as valkey.conf reads a value (sdssplitargs): \" \\ and \xHH.
std::string conf_quote(std::string_view text) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// SQL literals and identifiers (standard_conforming_strings is on by default
// since PostgreSQL 9.1: a backslash is only a backslash).
std::string sql_literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += (c == '\'') ? std::string("''") : std::string(1, c);
  return out + "'";
}
std::string sql_identifier(std::string_view text) {
  std::string out = "\"";
  for (char c : text) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string upper_name(std::string_view s) {
  std::string out;
  for (char c : s) out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return out;
}

wb::Url parse_var(const std::string& var, const std::string& text) {
  try {
    return wb::parse_url(text);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(var + " " + e.what());
  }
}

int shell(const std::string& prefix, const std::string& var, const char* fallback) {
  const std::string text = env_or(var.c_str(), fallback);
  wb::Url u = parse_var(var, text);
  auto put = [&](std::string_view name, std::string_view value) {
    std::cout << prefix << '_' << name << '=' << shell_quote(value) << '\n';
  };
  put("SCHEME", u.scheme);
  put("USER", u.user);
  put("PASSWORD", u.password);
  put("HOST", u.host);
  put("PORT", std::to_string(u.port));
  put("PATH", u.path);
  put("DB", std::to_string(u.db));
  put("TLS", u.tls ? "1" : "0");
  put("LOCAL", u.is_local() ? "1" : "0");
  put("SHOWN", wb::redact_url(text));
  for (const auto& [key, value] : u.query) put("SET_" + upper_name(key), value);
  return 0;
}

int valkey_conf(const std::string& var) {
  wb::Url u = parse_var(var, env_or(var.c_str(), nullptr));
  if (!u.is_valkey()) throw std::invalid_argument(var + " is not a redis:// or valkey:// URL");
  if (!u.password.empty()) std::cout << "requirepass " << conf_quote(u.password) << '\n';
  return 0;
}

int pg_setup_sql(const std::string& var) {
  wb::Url u = parse_var(var, env_or(var.c_str(), nullptr));
  if (!u.is_postgres()) throw std::invalid_argument(var + " is not a postgresql:// URL");
  if (u.user.empty() || u.password.empty() || u.path.empty())
    throw std::invalid_argument(var + " '" + wb::redact_url(env_or(var.c_str(), nullptr)) +
                                "' must name a user, a password and a database");
  const std::string role = sql_identifier(u.user), db = sql_identifier(u.path);
  const std::string role_text = sql_literal(u.user), db_text = sql_literal(u.path);
  // Should a statement fail, the server must not write its text (the
  // password) into postgres.log.
  std::cout << "SET log_min_error_statement = panic;\n"
            << "SET log_statement = 'none';\n"
            << "SELECT 'CREATE ROLE ' || " << sql_literal(role)
            << " WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = " << role_text
            << ") \\gexec\n"
            << "ALTER ROLE " << role
            << " WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
            << " PASSWORD " << sql_literal(u.password) << ";\n"
            << "SELECT 'CREATE DATABASE ' || " << sql_literal(db) << " || ' OWNER ' || "
            << sql_literal(role)
            << " WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = " << db_text
            << ") \\gexec\n"
            << "ALTER DATABASE " << db << " OWNER TO " << role
            << ";\n"
            // The database's owner may connect and create schemas (graders
            // make one per run); nobody else gets anything by default.
            << "REVOKE ALL ON DATABASE " << db << " FROM PUBLIC;\n";
  return 0;
}

}  // namespace

int main(int argc, char* argv[]) {
  if (argc < 3) return usage();
  const std::string command = argv[1];
  try {
    if (command == "shell" && (argc == 4 || argc == 5))
      return shell(argv[2], argv[3], argc == 5 ? argv[4] : nullptr);
    if (command == "redact" && argc == 3) {
      std::cout << wb::redact_url(env_or(argv[2], nullptr)) << '\n';
      return 0;
    }
    if (command == "valkey-conf" && argc == 3) return valkey_conf(argv[2]);
    if (command == "pg-setup-sql" && argc == 3) return pg_setup_sql(argv[2]);
  } catch (const std::invalid_argument& e) {
    std::cerr << e.what() << '\n';
    return 2;
  }
  return usage();
}
