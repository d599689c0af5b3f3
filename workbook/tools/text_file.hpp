// A whole file as a string, for the tools that read lesson texts and patches.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace wb::tools {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace wb::tools
