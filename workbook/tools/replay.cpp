// The transcript replay's parts that need no server: see replay.hpp.
#include "replay.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "workbook/cluster.hpp"

namespace wb::replay {

namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view trim(std::string_view s) {
  s = trim_right(s);
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<long long> to_integer(std::string_view s) {
  long long value = 0;
  auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (error != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

}  // namespace

// ---- the CLI ------------------------------------------------------------------

std::optional<std::vector<std::string>> split_args(std::string_view line) {
  std::vector<std::string> args;
  std::size_t i = 0;
  const std::size_t n = line.size();
  // The character at p, or '\0' past the end (the CLI reads a C string).
  auto at = [&](std::size_t p) { return p < n ? line[p] : '\0'; };
  for (;;) {
    while (i < n && is_space(line[i])) ++i;
    if (i >= n) return args;
    std::string arg;
    bool in_double = false, in_single = false, done = false;
    while (!done) {
      const char c = at(i);
      if (in_double) {
        if (c == '\\' && at(i + 1) == 'x' && hex_value(at(i + 2)) >= 0 &&
            hex_value(at(i + 3)) >= 0) {
          arg += static_cast<char>(hex_value(at(i + 2)) * 16 + hex_value(at(i + 3)));
          i += 3;
        } else if (c == '\\' && at(i + 1) != '\0') {
          ++i;
          switch (line[i]) {
            case 'n': arg += '\n'; break;
            case 'r': arg += '\r'; break;
            case 't': arg += '\t'; break;
            case 'b': arg += '\b'; break;
            case 'a': arg += '\a'; break;
            default: arg += line[i]; break;
          }
        } else if (c == '"') {
          // A closing quote must end the argument: `"a"b` is refused.
          if (at(i + 1) != '\0' && !is_space(at(i + 1))) return std::nullopt;
          done = true;
        } else if (c == '\0') {
          return std::nullopt;  // the quote never closes
        } else {
          arg += c;
        }
      } else if (in_single) {
        if (c == '\\' && at(i + 1) == '\'') {
          ++i;
          arg += '\'';
        } else if (c == '\'') {
          if (at(i + 1) != '\0' && !is_space(at(i + 1))) return std::nullopt;
          done = true;
        } else if (c == '\0') {
          return std::nullopt;
        } else {
          arg += c;
        }
      } else {
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0': done = true; break;
          case '"': in_double = true; break;
          case '\'': in_single = true; break;
          default: arg += c; break;
        }
      }
      if (i < n) ++i;
    }
    args.push_back(std::move(arg));
  }
}

std::string quoted(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : bytes) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      default: {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte <= 0x7e) {
          out += c;
        } else {
          out += "\\x";
          out += digits[byte >> 4];
          out += digits[byte & 0xf];
        }
      }
    }
  }
  return out + "\"";
}

namespace {

// Like the CLI: an element's number is right-aligned to the widest number of
// its array, and the lines of a nested reply are indented by that width + 2.
void format_into(const Reply& reply, const std::string& indent, std::string& out) {
  switch (reply.type) {
    case Reply::Type::Error: out += "(error) " + reply.str + "\n"; break;
    case Reply::Type::Status: out += reply.str + "\n"; break;
    case Reply::Type::Integer: out += "(integer) " + std::to_string(reply.integer) + "\n"; break;
    case Reply::Type::String: out += quoted(reply.str) + "\n"; break;
    case Reply::Type::Nil: out += "(nil)\n"; break;
    case Reply::Type::Array: {
      if (reply.elements.empty()) {
        out += "(empty array)\n";
        break;
      }
      const std::size_t width = std::to_string(reply.elements.size()).size();
      const std::string inner = indent + std::string(width + 2, ' ');
      for (std::size_t i = 0; i < reply.elements.size(); ++i) {
        if (i > 0) out += indent;
        std::string number = std::to_string(i + 1);
        out += std::string(width - number.size(), ' ') + number + ") ";
        format_into(reply.elements[i], inner, out);
      }
      break;
    }
  }
}

}  // namespace

std::vector<std::string> format_reply(const Reply& reply) {
  std::string text;
  format_into(reply, "", text);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool raw_output(const std::vector<std::string>& argv) {
  // The commands valkey-cli 8 and redis-cli 7 print raw in a terminal.
  if (argv.empty()) return false;
  const std::string name = upper(argv[0]), sub = argv.size() > 1 ? upper(argv[1]) : "";
  const std::size_t argc = argv.size();
  if (name == "INFO" || name == "LOLWUT") return true;
  if (name == "DEBUG" && (sub == "HTSTATS" || sub == "HTSTATS-KEY" || sub == "CLIENT-EVICTION"))
    return true;
  if (name == "MEMORY" && (sub == "MALLOC-STATS" || sub == "DOCTOR")) return true;
  if (name == "CLUSTER" && argc == 2 && (sub == "NODES" || sub == "INFO")) return true;
  if (name == "CLIENT" && (sub == "LIST" || sub == "INFO")) return true;
  if (name == "LATENCY" && ((argc == 3 && sub == "GRAPH") || (argc == 2 && sub == "DOCTOR")))
    return true;
  return false;
}

std::vector<std::string> format_raw(const Reply& reply) {
  if (reply.type != Reply::Type::String) return format_reply(reply);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < reply.str.size()) {
    std::size_t end = reply.str.find('\n', start);
    if (end == std::string::npos) end = reply.str.size();
    std::string line = reply.str.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

// ---- the lesson text -------------------------------------------------------------

const char* only_name(Only only) {
  switch (only) {
    case Only::Valkey: return "valkey";
    case Only::Redis: return "redis";
    case Only::Any: break;
  }
  return "";
}

namespace {

// "127.0.0.1:6379> ", "localhost:6380[2](TX)> ": the length of the prompt
// (with the blank after it), or 0 when the line does not start with one.
std::size_t prompt_length(std::string_view line, bool& tx, int* port = nullptr) {
  std::size_t i = 0;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '.' ||
                             line[i] == '-' || line[i] == '_'))
    ++i;
  if (i == 0 || i >= line.size() || line[i] != ':') return 0;
  std::size_t digits = ++i;
  while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) ++i;
  if (i == digits) return 0;
  if (port)
    *port = std::stoi(std::string(line.substr(digits, std::min<std::size_t>(i - digits, 6))));
  if (i < line.size() && line[i] == '[') {
    std::size_t close = line.find(']', i);
    if (close == std::string_view::npos) return 0;
    i = close + 1;
  }
  tx = starts_with(line.substr(i), "(TX)");
  if (tx) i += 4;
  if (i >= line.size() || line[i] != '>') return 0;
  ++i;
  if (i < line.size() && line[i] == ' ') ++i;
  return i;
}

// "... # valkey only" -> Only::Valkey, and the text without the mark.
Only take_line_mark(std::string& text) {
  std::string_view t = trim_right(text);
  for (Only only : {Only::Valkey, Only::Redis}) {
    std::string mark = std::string("# ") + only_name(only) + " only";
    if (t.size() > mark.size() && t.substr(t.size() - mark.size()) == mark &&
        is_space(t[t.size() - mark.size() - 1])) {
      text = std::string(trim_right(t.substr(0, t.size() - mark.size())));
      return only;
    }
  }
  return Only::Any;
}

struct Mark {
  std::string skip_reason;
  Only only = Only::Any;
  Place place = Place::Learner;
  std::vector<std::pair<std::string, std::string>> config;
  bool new_server = false;
  int first_port = 0, last_port = 0;
  int line = 0;
};

std::vector<std::string> blank_separated(std::string_view s) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    std::size_t end = i;
    while (end < s.size() && !is_space(s[end])) ++end;
    if (end > i) words.emplace_back(s.substr(i, end - i));
    i = end;
  }
  return words;
}

// "own server: maxmemory 2mb ...", "own server", "cluster 7101-7106": the
// mark, or the reason it is wrong.
std::optional<std::string> read_place(std::string_view body, Mark& mark) {
  if (body == "own server") {
    mark.place = Place::OwnServer;
    return std::nullopt;
  }
  if (starts_with(body, "own server:")) {
    auto words = blank_separated(body.substr(11));
    if (words.empty() || words.size() % 2 != 0)
      return "'own server:' takes configuration directives as name value pairs "
             "(own server: maxmemory 2mb maxmemory-policy noeviction)";
    mark.place = Place::OwnServer;
    mark.new_server = true;
    for (std::size_t i = 0; i < words.size(); i += 2)
      mark.config.emplace_back(words[i], words[i + 1]);
    return std::nullopt;
  }
  if (starts_with(body, "cluster ")) {
    std::string_view ports = trim(body.substr(8));
    std::size_t dash = ports.find('-');
    auto first = dash == std::string_view::npos ? std::nullopt : to_integer(ports.substr(0, dash));
    auto last = dash == std::string_view::npos ? std::nullopt : to_integer(ports.substr(dash + 1));
    if (!first || !last || *first < 1 || *last < *first || *last > 65535)
      return "'cluster' takes the text's ports, first-last (cluster 7101-7106)";
    mark.place = Place::Cluster;
    mark.first_port = static_cast<int>(*first);
    mark.last_port = static_cast<int>(*last);
    return std::nullopt;
  }
  return "";  // not a place mark
}

}  // namespace

std::optional<Fill> parse_fill(std::string_view line, std::string& why_not) {
  why_not =
      "the replay knows one shell line, the loop that fills a server: $ for i in $(seq N); do "
      "echo \"COMMAND\"; done | valkey-cli -p PORT | grep -c WORD";
  line = trim(line);
  const std::string_view head = "for i in $(seq ";
  if (!starts_with(line, head)) return std::nullopt;
  line.remove_prefix(head.size());
  std::size_t close = line.find(')');
  if (close == std::string_view::npos) return std::nullopt;
  auto count = to_integer(line.substr(0, close));
  if (!count || *count < 1 || *count > 1000000) return std::nullopt;
  line.remove_prefix(close + 1);
  const std::string_view echo = "; do echo \"";
  if (!starts_with(line, echo)) return std::nullopt;
  line.remove_prefix(echo.size());
  std::size_t end = line.find("\"; done | ");
  if (end == std::string_view::npos) return std::nullopt;
  Fill fill;
  fill.count = *count;
  fill.command = std::string(line.substr(0, end));
  line.remove_prefix(end + 10);
  auto words = blank_separated(line);
  if (words.size() != 7 || (words[0] != "valkey-cli" && words[0] != "redis-cli") ||
      words[1] != "-p" || !to_integer(words[2]) || words[3] != "|" || words[4] != "grep" ||
      words[5] != "-c")
    return std::nullopt;
  fill.word = words[6];
  // Only the two substitutions the replay knows: any other $ is a shell's.
  std::string rest = fill.command;
  for (std::size_t at = rest.find('$'); at != std::string::npos; at = rest.find('$', at + 1)) {
    std::string_view tail = std::string_view(rest).substr(at);
    if (starts_with(tail, "$i")) continue;
    if (starts_with(tail, "$(printf '%0")) {
      std::size_t d = std::string_view("$(printf '%0").size();
      std::size_t digits_end = tail.find("d' 0)", d);
      if (digits_end != std::string_view::npos && to_integer(tail.substr(d, digits_end - d)))
        continue;
    }
    why_not =
        "the fill loop's command holds a $ the replay does not know (it knows $i and "
        "$(printf '%0Wd' 0))";
    return std::nullopt;
  }
  why_not.clear();
  return fill;
}

std::string fill_line(const Fill& fill, long long i) {
  std::string out;
  std::string_view c = fill.command;
  for (std::size_t at = 0; at < c.size();) {
    std::string_view tail = c.substr(at);
    if (starts_with(tail, "$(printf '%0")) {
      std::size_t d = std::string_view("$(printf '%0").size();
      std::size_t digits_end = tail.find("d' 0)", d);
      out +=
          std::string(static_cast<std::size_t>(*to_integer(tail.substr(d, digits_end - d))), '0');
      at += digits_end + 5;
    } else if (starts_with(tail, "$i")) {
      out += std::to_string(i);
      at += 2;
    } else {
      out += c[at++];
    }
  }
  return out;
}

Transcripts scan_markdown(std::string_view text) {
  std::vector<std::string> lines;
  for (std::size_t start = 0; start <= text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }

  Transcripts out;
  std::optional<Mark> pending;  // a replay mark waiting for its block
  bool own_server_seen = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const int number = static_cast<int>(i + 1);
    std::string_view stripped = trim(line);
    if (stripped.empty()) continue;

    if (starts_with(stripped, "<!--") && stripped.find("replay:") != std::string_view::npos) {
      if (pending)
        out.problems.push_back("line " + std::to_string(pending->line) +
                               ": a replay mark must stand right before a code block");
      std::string_view body = stripped.substr(4);
      if (body.size() >= 3 && body.substr(body.size() - 3) == "-->") body.remove_suffix(3);
      body = trim(body);
      body.remove_prefix(std::string_view("replay:").size());
      body = trim(body);
      Mark mark;
      mark.line = number;
      if (starts_with(body, "skip:") && !trim(body.substr(5)).empty()) {
        mark.skip_reason = std::string(trim(body.substr(5)));
      } else if (body == "valkey only") {
        mark.only = Only::Valkey;
      } else if (body == "redis only") {
        mark.only = Only::Redis;
      } else if (auto wrong = read_place(body, mark); !wrong || !wrong->empty()) {
        if (wrong) {
          out.problems.push_back("line " + std::to_string(number) + ": " + *wrong);
          continue;
        }
        if (mark.place == Place::OwnServer && !mark.new_server && !own_server_seen)
          out.problems.push_back("line " + std::to_string(number) +
                                 ": 'own server' continues the server of a block before, and "
                                 "none started one ('own server: maxmemory 2mb ...' does)");
        if (mark.new_server) own_server_seen = true;
      } else {
        out.problems.push_back(
            "line " + std::to_string(number) + ": unknown replay mark '" + std::string(body) +
            "' (known: 'skip: <why>', 'valkey only', 'redis only', 'own server: <directives>', "
            "'own server', 'cluster <first port>-<last port>')");
        continue;
      }
      pending = mark;
      continue;
    }

    std::size_t indent = line.find_first_not_of(' ');
    std::string_view rest = std::string_view(line).substr(indent);
    std::string fence;
    if (starts_with(rest, "```")) fence = "```";
    if (starts_with(rest, "~~~")) fence = "~~~";
    if (fence.empty()) {
      if (pending)
        out.problems.push_back("line " + std::to_string(pending->line) +
                               ": a replay mark must stand right before a code block");
      pending.reset();
      continue;
    }

    // A fenced block: its lines, without the fence's indentation.
    Block block;
    block.line = number;
    std::vector<std::pair<int, std::string>> content;
    std::size_t j = i + 1;
    bool closed = false;
    for (; j < lines.size(); ++j) {
      std::string_view l = lines[j];
      std::size_t k = 0;
      while (k < indent && k < l.size() && l[k] == ' ') ++k;
      l.remove_prefix(k);
      if (starts_with(trim(l), fence) &&
          trim(l).find_first_not_of(fence[0]) == std::string_view::npos) {
        closed = true;
        break;
      }
      content.emplace_back(static_cast<int>(j + 1), std::string(l));
    }
    i = j;
    if (!closed) {
      out.problems.push_back("line " + std::to_string(number) + ": a code block that never closes");
      break;
    }
    bool transcript = std::any_of(content.begin(), content.end(), [](const auto& c) {
      bool tx = false;
      return prompt_length(c.second, tx) > 0;
    });
    if (!transcript && pending && pending->place == Place::OwnServer && !content.empty() &&
        starts_with(content.front().second, "$ ")) {
      // The shell loop that fills the own server, and what it printed.
      std::string why;
      auto fill = parse_fill(std::string_view(content.front().second).substr(2), why);
      if (!fill) {
        out.problems.push_back("line " + std::to_string(content.front().first) + ": " + why);
      } else {
        fill->line = content.front().first;
        for (std::size_t c = 1; c < content.size(); ++c) {
          if (trim(content[c].second).empty()) continue;
          if (starts_with(content[c].second, "$ ")) {
            out.problems.push_back("line " + std::to_string(content[c].first) +
                                   ": one shell line per fill block");
            break;
          }
          fill->output.push_back({content[c].first, content[c].second, Only::Any});
        }
        block.place = Place::OwnServer;
        block.config = pending->config;
        block.new_server = pending->new_server;
        block.fill = std::move(fill);
        out.blocks.push_back(std::move(block));
      }
      pending.reset();
      continue;
    }
    if (!transcript) {
      if (pending)
        out.problems.push_back(
            "line " + std::to_string(pending->line) +
            ": a replay mark before a block that is no transcript (no line starts "
            "with a prompt such as 127.0.0.1:6379> )");
      pending.reset();
      continue;
    }
    if (pending) {
      block.skip_reason = pending->skip_reason;
      block.only = pending->only;
      block.place = pending->place;
      block.config = pending->config;
      block.new_server = pending->new_server;
      block.first_port = pending->first_port;
      block.last_port = pending->last_port;
      pending.reset();
    }
    while (!content.empty() && trim(content.back().second).empty()) content.pop_back();
    for (auto& [at, text_line] : content) {
      bool tx = false;
      int port = 0;
      std::size_t prompt = prompt_length(text_line, tx, &port);
      if (prompt > 0) {
        Step step;
        step.line = at;
        step.port = port;
        step.tx_prompt = tx;
        if (block.place == Place::Cluster && (port < block.first_port || port > block.last_port))
          out.problems.push_back("line " + std::to_string(at) + ": the prompt's port " +
                                 std::to_string(port) + " is not one of the cluster's (" +
                                 std::to_string(block.first_port) + "-" +
                                 std::to_string(block.last_port) + ", from its mark)");
        step.input = text_line.substr(prompt);
        step.only = take_line_mark(step.input);
        block.steps.push_back(std::move(step));
      } else if (block.steps.empty()) {
        if (trim(text_line).empty()) continue;
        if (block.skip_reason.empty())
          out.problems.push_back("line " + std::to_string(at) +
                                 ": a reply line before the first prompt of the block");
      } else {
        ExpectedLine expected;
        expected.line = at;
        expected.text = text_line;
        expected.only = take_line_mark(expected.text);
        block.steps.back().reply.push_back(std::move(expected));
      }
    }
    out.blocks.push_back(std::move(block));
  }
  if (pending)
    out.problems.push_back("line " + std::to_string(pending->line) +
                           ": a replay mark must stand right before a code block");
  return out;
}

// ---- matching ---------------------------------------------------------------------

namespace {

bool is_number(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  bool dot = false;
  for (char c : s) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return std::isdigit(static_cast<unsigned char>(s.back())) != 0;
}

// The end of a quoted string's text starting at `from` (the index of its
// closing quote), honouring the CLI's backslash escapes; npos if none.
std::size_t closing_quote(std::string_view s, std::size_t from) {
  for (std::size_t i = from; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i;
    }
  }
  return std::string_view::npos;
}

std::size_t word_end(std::string_view s, std::size_t from) {
  std::size_t end = from;
  while (end < s.size() && !is_space(s[end])) ++end;
  return end;
}

}  // namespace

bool line_matches(std::string_view expected, std::string_view printed) {
  expected = trim_right(expected);
  printed = trim_right(printed);
  std::size_t e = 0, p = 0;
  bool in_quotes = false;
  while (e < expected.size()) {
    const char c = expected[e];
    if (c == '~') {
      if (in_quotes) {
        // Any text up to the closing quote, on both sides.
        std::size_t e_end = closing_quote(expected, e + 1);
        std::size_t p_end = closing_quote(printed, p);
        if (e_end == std::string_view::npos || p_end == std::string_view::npos) return false;
        e = e_end;
        p = p_end;
        continue;  // the closing quotes are compared as literals
      }
      std::size_t e_end = word_end(expected, e + 1);
      std::size_t p_end = word_end(printed, p);
      std::string_view shown = expected.substr(e + 1, e_end - e - 1);
      std::string_view value = printed.substr(p, p_end - p);
      if (value.empty()) return false;
      if (is_number(shown)) {
        if (!is_number(value) || (shown[0] == '-') != (value[0] == '-')) return false;
      }
      e = e_end;
      p = p_end;
      continue;
    }
    if (p >= printed.size() || printed[p] != c) return false;
    if (in_quotes && c == '\\' && e + 1 < expected.size()) {
      // An escaped character is part of the string, never its end.
      if (p + 1 >= printed.size() || printed[p + 1] != expected[e + 1]) return false;
      e += 2;
      p += 2;
      continue;
    }
    if (c == '"') in_quotes = !in_quotes;
    ++e;
    ++p;
  }
  return p == printed.size();
}

std::optional<std::size_t> match_reply(const std::vector<std::string>& expected,
                                       const std::vector<std::string>& printed) {
  const std::size_t E = expected.size(), P = printed.size();
  auto is_any = [&](std::size_t i) { return trim(expected[i]) == "..."; };
  // reach[i][j]: the first i expected lines match the first j printed ones.
  std::vector<std::vector<char>> reach(E + 1, std::vector<char>(P + 1, 0));
  reach[0][0] = 1;
  for (std::size_t i = 0; i < E; ++i) {
    for (std::size_t j = 0; j <= P; ++j) {
      if (!reach[i][j]) continue;
      if (is_any(i)) {
        for (std::size_t k = j; k <= P; ++k) reach[i + 1][k] = 1;
      } else if (j < P && line_matches(expected[i], printed[j])) {
        reach[i + 1][j + 1] = 1;
      }
    }
  }
  if (reach[E][P]) return std::nullopt;
  for (std::size_t i = E + 1; i-- > 0;) {
    if (std::any_of(reach[i].begin(), reach[i].end(), [](char r) { return r != 0; }))
      return i;  // line i is the first the text could not get past (E: lines missing)
  }
  return 0;
}

void order_like_text(std::vector<Reply>& elements, const std::vector<std::string>& expected) {
  std::vector<std::string> printed;
  for (const Reply& element : elements) {
    auto lines = format_reply(element);
    if (lines.size() != 1) return;  // only lists of plain values are reordered
    printed.push_back(lines[0]);
  }
  std::vector<Reply> ordered;
  std::vector<bool> placed(elements.size(), false);
  for (const std::string& line : expected) {
    // The value of an element line: `2) 1) "a"` and `   3) "a"` hold "a".
    std::string_view value = line;
    for (;;) {
      std::string_view v = trim(value);
      std::size_t digits = 0;
      while (digits < v.size() && std::isdigit(static_cast<unsigned char>(v[digits]))) ++digits;
      if (digits == 0 || digits + 1 >= v.size() || v[digits] != ')' || v[digits + 1] != ' ') {
        value = v;
        break;
      }
      value = v.substr(digits + 2);
    }
    if (value == "...") continue;
    for (std::size_t k = 0; k < elements.size(); ++k) {
      if (!placed[k] && line_matches(value, printed[k])) {
        placed[k] = true;
        ordered.push_back(elements[k]);
        break;
      }
    }
  }
  for (std::size_t k = 0; k < elements.size(); ++k)
    if (!placed[k]) ordered.push_back(elements[k]);
  elements = std::move(ordered);
}

// ---- keys -----------------------------------------------------------------------------

namespace {

// A RESP2 "map": a flat array of key, value, key, value...
const Reply* map_get(const Reply& map, std::string_view key) {
  if (map.type != Reply::Type::Array) return nullptr;
  for (std::size_t i = 0; i + 1 < map.elements.size(); i += 2)
    if (lower(map.elements[i].str) == key) return &map.elements[i + 1];
  return nullptr;
}

int map_int(const Reply& map, std::string_view key, int fallback) {
  const Reply* r = map_get(map, key);
  return r && r->type == Reply::Type::Integer ? static_cast<int>(r->integer) : fallback;
}

std::vector<std::string> words(const Reply& array) {
  std::vector<std::string> out;
  for (const Reply& r : array.elements) out.push_back(lower(r.str));
  return out;
}

KeySpec parse_key_spec(const Reply& spec) {
  KeySpec out;
  if (const Reply* flags = map_get(spec, "flags"))
    for (const std::string& f : words(*flags))
      if (f == "incomplete") out.incomplete = true;
  if (const Reply* begin = map_get(spec, "begin_search")) {
    const Reply* type = map_get(*begin, "type");
    const Reply* body = map_get(*begin, "spec");
    std::string t = type ? lower(type->str) : "";
    if (t == "index" && body) {
      out.begin = KeySpec::Begin::Index;
      out.index = map_int(*body, "index", 0);
    } else if (t == "keyword" && body) {
      out.begin = KeySpec::Begin::Keyword;
      const Reply* keyword = map_get(*body, "keyword");
      out.keyword = keyword ? keyword->str : "";
      out.start_from = map_int(*body, "startfrom", 1);
    }
  }
  if (const Reply* find = map_get(spec, "find_keys")) {
    const Reply* type = map_get(*find, "type");
    const Reply* body = map_get(*find, "spec");
    std::string t = type ? lower(type->str) : "";
    if (t == "range" && body) {
      out.find = KeySpec::Find::Range;
      out.last_key = map_int(*body, "lastkey", 0);
      out.key_step = map_int(*body, "keystep", 1);
      out.limit = map_int(*body, "limit", 0);
    } else if (t == "keynum" && body) {
      out.find = KeySpec::Find::Keynum;
      out.keynum_index = map_int(*body, "keynumidx", 0);
      out.first_key = map_int(*body, "firstkey", 1);
      out.key_step = map_int(*body, "keystep", 1);
    }
  }
  return out;
}

}  // namespace

CommandInfo parse_command_info(const Reply& entry) {
  CommandInfo info;
  if (entry.type != Reply::Type::Array || entry.elements.size() < 7) return info;
  info.known = true;
  info.name = lower(entry.elements[0].str);
  info.flags = words(entry.elements[2]);
  info.categories = words(entry.elements[6]);
  if (entry.elements.size() > 7)
    for (const std::string& tip : words(entry.elements[7]))
      if (tip == "nondeterministic_output_order") info.unordered_reply = true;
  if (entry.elements.size() > 8)
    for (const Reply& spec : entry.elements[8].elements)
      info.key_specs.push_back(parse_key_spec(spec));
  if (entry.elements.size() > 9)
    for (const Reply& sub : entry.elements[9].elements) {
      CommandInfo s = parse_command_info(sub);
      if (s.known) info.subcommands[s.name] = std::move(s);
    }
  return info;
}

std::vector<std::size_t> key_positions(const CommandInfo& info,
                                       const std::vector<std::string>& argv) {
  std::set<std::size_t> keys;
  const int argc = static_cast<int>(argv.size());
  const std::string name = argv.empty() ? "" : upper(argv[0]);
  for (const KeySpec& spec : info.key_specs) {
    if (spec.begin == KeySpec::Begin::Unknown || spec.find == KeySpec::Find::Unknown ||
        spec.incomplete)
      throw Refused("the server cannot say which arguments of " + upper(info.name) +
                    " are keys (its key spec is incomplete), so the replay cannot keep them under "
                    "its prefix");
    int first = 0;
    if (spec.begin == KeySpec::Begin::Index) {
      first = spec.index;
    } else {
      const bool forward = spec.start_from > 0;
      const std::string keyword = upper(spec.keyword);
      for (int i = forward ? spec.start_from : argc + spec.start_from; i >= 1 && i < argc;
           i += forward ? 1 : -1) {
        if (upper(argv[static_cast<std::size_t>(i)]) == keyword) {
          first = i + 1;
          break;
        }
      }
      if (first == 0) continue;  // the keyword (an option) is not there
    }
    int last = 0, step = std::max(1, spec.key_step);
    if (spec.find == KeySpec::Find::Range) {
      if (spec.last_key >= 0) {
        last = first + spec.last_key;
      } else if (spec.limit <= 1) {
        last = argc + spec.last_key;
      } else {
        last = first + ((argc - first) / spec.limit + spec.last_key);
      }
    } else {
      const int at = first + spec.keynum_index;
      if (at >= argc) continue;  // too few arguments: the server refuses the command
      auto count = to_integer(argv[static_cast<std::size_t>(at)]);
      if (!count || *count < 0) continue;  // not a number: the server refuses it too
      first += spec.first_key;
      last = first + (static_cast<int>(*count) - 1) * step;
    }
    for (int i = first; i <= last && i < argc; i += step)
      if (i >= 1) keys.insert(static_cast<std::size_t>(i));
  }
  (void)name;
  return {keys.begin(), keys.end()};
}

std::optional<std::string> refusal(const std::vector<std::string>& argv, bool own_server) {
  if (argv.empty()) return std::nullopt;
  const std::string name = upper(argv[0]);
  const std::string sub = argv.size() > 1 ? upper(argv[1]) : "";
  // The whole server's data, or another database's.
  static const std::set<std::string> keyspace = {"FLUSHALL", "FLUSHDB", "KEYS", "RANDOMKEY",
                                                 "SELECT",   "SWAPDB",  "MOVE", "MIGRATE"};
  if (keyspace.count(name))
    return name +
           " reaches keys outside the replay's prefix (other people's keys, or other "
           "databases); a replayed transcript never sends it";
  if (name == "COPY")
    for (std::size_t i = 3; i < argv.size(); ++i)
      if (upper(argv[i]) == "DB")
        return "COPY ... DB writes into another database; a replayed transcript never sends it";
  // The server's configuration and its life.
  if (name == "CONFIG" && sub != "GET" && !(own_server && sub == "SET"))
    return "CONFIG " + sub +
           " changes the server's configuration; only CONFIG GET is replayed (and CONFIG SET on "
           "a server of the replay's own: <!-- replay: own server: ... -->)";
  // Asking the cluster where a key would go, or how many keys a slot holds,
  // reads no key and changes nothing.
  if (name == "CLUSTER" && (sub == "KEYSLOT" || sub == "COUNTKEYSINSLOT")) return std::nullopt;
  static const std::set<std::string> server = {
      "SHUTDOWN",  "DEBUG",     "MONITOR",    "SYNC",         "PSYNC",    "REPLICAOF", "SLAVEOF",
      "FAILOVER",  "SAVE",      "BGSAVE",     "BGREWRITEAOF", "MODULE",   "CLUSTER",   "READONLY",
      "READWRITE", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE",   "FUNCTION", "FCALL",     "FCALL_RO"};
  if (server.count(name))
    return name +
           " changes or takes over the server (or the connection); a replayed transcript "
           "never sends it";
  if (name == "ACL" && sub != "WHOAMI" && sub != "CAT")
    return "ACL " + sub + " is not replayed (it may change the server's users)";
  if (name == "CLIENT" && sub != "ID" && sub != "INFO" && sub != "GETNAME" && sub != "SETNAME")
    return "CLIENT " + sub + " is not replayed (it may act on other clients)";
  if (name == "SCRIPT" && (sub == "FLUSH" || sub == "KILL"))
    return "SCRIPT " + sub +
           " acts on every client's scripts; a replayed transcript never sends it";
  if ((name == "LATENCY" || name == "SLOWLOG" || name == "MEMORY") &&
      (sub == "RESET" || sub == "PURGE"))
    return name + " " + sub + " changes the server's state; a replayed transcript never sends it";
  // What the CLI does itself, or what would end the session.
  static const std::set<std::string> session = {"AUTH", "HELLO", "RESET", "QUIT",
                                                "EXIT", "HELP",  "CLEAR", "CONNECT"};
  if (session.count(name))
    return name + " changes the CLI's session (or is the CLI's own command); it cannot be replayed";
  if (name == "EVALSHA" || name == "EVALSHA_RO")
    return name + ": the replay cannot read the script behind a digest; show EVAL with the script";
  return std::nullopt;
}

std::vector<std::string> with_prefix(const std::vector<std::string>& argv,
                                     const std::vector<std::size_t>& keys,
                                     const std::string& prefix) {
  std::vector<std::string> out = argv;
  for (std::size_t k : keys) out.at(k) = prefix + out.at(k);
  if (!out.empty() && upper(out[0]) == "SCAN") {
    bool match = false;
    for (std::size_t i = 2; i + 1 < out.size(); i += 2) {
      if (upper(out[i]) == "MATCH") {
        out[i + 1] = prefix + out[i + 1];
        match = true;
      }
    }
    if (!match)
      throw Refused(
          "SCAN without MATCH lists every key of the server, not only the transcript's: add "
          "MATCH 'pattern'");
  }
  return out;
}

void strip_prefix(Reply& reply, const std::string& prefix) {
  if (prefix.empty()) return;
  for (std::size_t at = reply.str.find(prefix); at != std::string::npos;
       at = reply.str.find(prefix, at))
    reply.str.erase(at, prefix.size());
  for (Reply& element : reply.elements) strip_prefix(element, prefix);
}

std::string in_same_slot(const std::string& prefix, const std::string& key) {
  if (hash_tag(key).size() != key.size()) return prefix + key;  // its tag decides
  if (key.empty() || key.find('}') != std::string::npos)
    throw Refused("the key '" + key +
                  "' has no hash tag and holds a '}': no prefix keeps it in its slot, so the "
                  "replay cannot write it on the cluster");
  return prefix + "{" + key + "}";
}

void rename_ports(Reply& reply, const std::map<int, int>& text_port) {
  const std::string host = "127.0.0.1:";
  for (std::size_t at = reply.str.find(host); at != std::string::npos;
       at = reply.str.find(host, at + 1)) {
    std::size_t digits = at + host.size(), end = digits;
    while (end < reply.str.size() && std::isdigit(static_cast<unsigned char>(reply.str[end])))
      ++end;
    auto port = to_integer(std::string_view(reply.str).substr(digits, end - digits));
    auto text = port ? text_port.find(static_cast<int>(*port)) : text_port.end();
    if (text != text_port.end())
      reply.str.replace(digits, end - digits, std::to_string(text->second));
  }
  for (Reply& element : reply.elements) rename_ports(element, text_port);
}

// ---- Lua scripts --------------------------------------------------------------------------

namespace {

struct LuaArg {
  std::string text;      // as written
  bool literal = false;  // a string or number literal...
  std::string value;     // ...with this value
};

// The end of a Lua string literal that starts at `from` (a quote), or npos.
std::size_t lua_string_end(std::string_view s, std::size_t from) {
  const char quote = s[from];
  for (std::size_t i = from + 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == quote) {
      return i;
    } else if (s[i] == '\n') {
      return std::string_view::npos;
    }
  }
  return std::string_view::npos;
}

std::string lua_unescape(std::string_view body) {
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\' && i + 1 < body.size()) {
      ++i;
      switch (body[i]) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        default: out += body[i]; break;
      }
    } else {
      out += body[i];
    }
  }
  return out;
}

// The arguments of a call whose "(" is at `open`; `close` gets its ")".
std::optional<std::vector<LuaArg>> lua_call_args(std::string_view s, std::size_t open,
                                                 std::size_t& close) {
  std::vector<LuaArg> args;
  int depth = 0;
  std::size_t start = open + 1;
  auto finish = [&](std::size_t end) {
    std::string_view text = trim(s.substr(start, end - start));
    if (text.empty()) return;
    LuaArg arg;
    arg.text = std::string(text);
    if ((text.front() == '\'' || text.front() == '"') &&
        lua_string_end(text, 0) == text.size() - 1) {
      arg.literal = true;
      arg.value = lua_unescape(text.substr(1, text.size() - 2));
    } else if (is_number(text)) {
      arg.literal = true;
      arg.value = std::string(text);
    }
    args.push_back(std::move(arg));
  };
  for (std::size_t i = open + 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\'' || c == '"') {
      i = lua_string_end(s, i);
      if (i == std::string_view::npos) return std::nullopt;
    } else if (c == '(' || c == '{' || c == '[') {
      ++depth;
    } else if (c == ')' || c == '}' || c == ']') {
      if (depth == 0) {
        finish(i);
        close = i;
        return args;
      }
      --depth;
    } else if (c == ',' && depth == 0) {
      finish(i);
      start = i + 1;
    }
  }
  return std::nullopt;
}

bool is_keys_expression(std::string_view text) {
  text = trim(text);
  if (!starts_with(text, "KEYS[")) return false;
  std::size_t close = text.find(']');
  if (close == std::string_view::npos || close == 5) return false;
  std::string_view rest = trim(text.substr(close + 1));
  return rest.empty() || starts_with(rest, "..");  // KEYS[1] .. ':suffix' stays under the prefix
}

}  // namespace

std::optional<std::string> script_refusal(
    std::string_view script, const std::function<CommandInfo(const std::string&)>& command_info) {
  // KEYS[1] = 'somebody:else' would point a key argument anywhere.
  for (std::size_t at = script.find("KEYS["); at != std::string_view::npos;
       at = script.find("KEYS[", at + 1)) {
    std::size_t close = script.find(']', at);
    if (close == std::string_view::npos) break;
    std::string_view after = trim(script.substr(close + 1));
    if (!after.empty() && after[0] == '=' && (after.size() < 2 || after[1] != '='))
      return "the script assigns to KEYS[...]; the replay cannot tell which keys it reaches";
  }
  for (std::string_view api : {"redis.", "server."}) {
    for (std::size_t at = script.find(api); at != std::string_view::npos;
         at = script.find(api, at + 1)) {
      if (at > 0 &&
          (std::isalnum(static_cast<unsigned char>(script[at - 1])) || script[at - 1] == '_'))
        continue;
      std::size_t name_start = at + api.size();
      std::size_t name_end = name_start;
      while (
          name_end < script.size() &&
          (std::isalnum(static_cast<unsigned char>(script[name_end])) || script[name_end] == '_'))
        ++name_end;
      std::string fn(script.substr(name_start, name_end - name_start));
      if (fn != "call" && fn != "pcall") continue;
      std::size_t open = name_end;
      while (open < script.size() && is_space(script[open])) ++open;
      if (open >= script.size() || script[open] != '(')
        return std::string(api) + fn +
               " is used other than as a call; the replay cannot tell which keys the script "
               "reaches";
      std::size_t close = 0;
      auto args = lua_call_args(script, open, close);
      if (!args || args->empty())
        return "the replay cannot read the arguments of a " + std::string(api) + fn +
               "(...) in the script";
      if (!(*args)[0].literal)
        return "a " + std::string(api) + fn +
               " whose command is not a string literal; the replay "
               "cannot tell which keys it reaches";
      std::vector<std::string> argv;
      for (const LuaArg& a : *args) argv.push_back(a.literal ? a.value : a.text);
      const std::string name = upper(argv[0]);
      if (auto why = refusal(argv)) return "in the script: " + *why;
      if (name == "SCAN")
        return "the script calls SCAN, which lists keys outside the replay's prefix";
      CommandInfo info = command_info(lower(argv[0]));
      if (!info.known) continue;  // the server refuses it: nothing is touched
      if (!info.subcommands.empty() && argv.size() > 1) {
        auto sub = info.subcommands.find(lower(argv[0]) + "|" + lower(argv[1]));
        if (sub != info.subcommands.end()) info = sub->second;
      }
      std::vector<std::size_t> keys;
      try {
        keys = key_positions(info, argv);
      } catch (const Refused& e) {
        return std::string("in the script: ") + e.what();
      }
      for (std::size_t k : keys) {
        const LuaArg& arg = (*args)[k];
        if (arg.literal || !is_keys_expression(arg.text))
          return "the script's " + upper(argv[0]) + " names the key " + arg.text +
                 " directly; a script in a transcript reaches keys only through KEYS[n], so that "
                 "the replay can keep them under its prefix";
      }
      at = close;
    }
  }
  return std::nullopt;
}

}  // namespace wb::replay
