#include "watch.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace wb::watch {

namespace {
std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t')) fields.push_back(field);
  if (!line.empty() && line.back() == '\t') fields.emplace_back();
  return fields;
}

// FNV-1a, 64 bits: enough to notice that a file changed.
struct Fnv {
  std::uint64_t h = 1469598103934665603ull;
  void add(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 1099511628211ull;
    }
  }
  void add(const std::string& s) { add(s.data(), s.size() + 1); }
  void add(std::uint64_t v) { add(&v, sizeof v); }
};
}  // namespace

int Exercise::short_number() const {
  try {
    return std::stoi(number);
  } catch (...) {
    return 0;
  }
}

std::vector<Exercise> parse_exercises(const std::string& text) {
  std::vector<Exercise> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto f = split_tabs(line);
    if (f.size() < 5 || f[0].empty() || f[3].empty()) continue;
    out.push_back(Exercise{f[0], f[1], f[2], f[3], f[4]});
  }
  return out;
}

std::optional<Grade> parse_grade(const std::string& line) {
  auto f = split_tabs(line);
  if (f.size() < 4 || f[0].empty()) return std::nullopt;
  return Grade{f[0], f[1], f[2], f[3]};
}

std::optional<std::size_t> first_not_passing(const std::vector<Exercise>& exercises,
                                             const std::map<std::size_t, bool>& known_to_pass,
                                             const std::function<Grade(std::size_t)>& grade,
                                             std::size_t from) {
  for (std::size_t i = from; i < exercises.size(); ++i) {
    auto known = known_to_pass.find(i);
    if (known != known_to_pass.end() && known->second) continue;
    if (!grade(i).passed()) return i;
  }
  return std::nullopt;
}

std::size_t next_after(std::size_t i, std::size_t count) {
  return count == 0 ? 0 : (i + 1) % count;
}

Key key_action(char c) {
  switch (std::tolower(static_cast<unsigned char>(c))) {
    case 'h': return Key::Hint;
    case 'n': return Key::Next;
    case 'r': return Key::Rerun;
    case 'l': return Key::List;
    case 'q': return Key::Quit;
    default: return Key::None;
  }
}

Snapshot snapshot(const std::vector<std::string>& dirs) {
  namespace fs = std::filesystem;
  Snapshot out;
  for (const auto& dir : dirs) {
    Fnv fnv;
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      names.push_back(it->path().string());
    std::sort(names.begin(), names.end());
    fnv.add(static_cast<std::uint64_t>(names.size()));
    for (const auto& name : names) {
      fnv.add(name);
      struct stat st {};
      if (::stat(name.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      fnv.add(static_cast<std::uint64_t>(st.st_size));
#ifdef __APPLE__
      fnv.add(static_cast<std::uint64_t>(st.st_mtimespec.tv_sec));
      fnv.add(static_cast<std::uint64_t>(st.st_mtimespec.tv_nsec));
#else
      fnv.add(static_cast<std::uint64_t>(st.st_mtim.tv_sec));
      fnv.add(static_cast<std::uint64_t>(st.st_mtim.tv_nsec));
#endif
      // The contents too: a save within the clock's resolution keeps the time.
      std::ifstream file(name, std::ios::binary);
      std::string content((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
      fnv.add(content);
    }
    out.push_back(fnv.h);
  }
  return out;
}

std::optional<std::size_t> changed(const Snapshot& before, const Snapshot& now) {
  for (std::size_t i = 0; i < now.size(); ++i)
    if (i >= before.size() || before[i] != now[i]) return i;
  return std::nullopt;
}

std::string progress_bar(std::size_t passed, std::size_t total, std::size_t width) {
  std::size_t filled = total == 0 ? 0 : passed * width / total;
  if (passed > 0 && filled == 0) filled = 1;
  return "[" + std::string(filled, '#') + std::string(width - filled, '-') + "]  " +
         std::to_string(passed) + " of " + std::to_string(total) + " exercises pass";
}

}  // namespace wb::watch
