// Reading known-answer vector files from testdata/ in tests: "name value" lines, '#' comments.
#pragma once

#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

namespace keylink::testing {

// Loads KEYLINK_TESTDATA/file as a map from the first word of each line to the rest of it.
inline std::map<std::string, std::string> load_vectors(const std::string& dir, const std::string& file) {
  std::ifstream in(dir + "/" + file);
  if (!in) throw std::runtime_error("cannot open testdata file " + file);
  std::map<std::string, std::string> vectors;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.find(' ');
    vectors[line.substr(0, space)] = space == std::string::npos ? "" : line.substr(space + 1);
  }
  return vectors;
}

}  // namespace keylink::testing
