// Test-only: reads the known-answer files in testdata/.
//
// A file is blocks of "name = value" lines separated by blank lines; '#' starts a comment line. Values
// are trimmed and may be empty. A block that repeats a name it already has starts a new record, so a
// list ("address = ..." per line) needs no blank lines.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "keylink/base/bytes.h"
#include "keylink/base/encoding.h"
#include "keylink/base/rng.h"
#include "keylink/base/secret.h"

namespace keylink::testing {

using Vector = std::map<std::string, std::string>;

inline std::string trim(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
}

// Fails the current test (and returns no vectors) when the file is missing or empty.
inline std::vector<Vector> load_vectors(const std::string& name) {
  std::ifstream file(std::string(KEYLINK_TESTDATA) + "/" + name);
  EXPECT_TRUE(file.good()) << "cannot open testdata/" << name;
  std::vector<Vector> vectors(1);
  for (std::string line; std::getline(file, line);) {
    if (!line.empty() && line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) {
      if (!vectors.back().empty()) vectors.emplace_back();
      continue;
    }
    const std::string key = trim(line.substr(0, eq));
    if (vectors.back().contains(key)) vectors.emplace_back();
    vectors.back()[key] = trim(line.substr(eq + 1));
  }
  if (vectors.back().empty()) vectors.pop_back();
  EXPECT_FALSE(vectors.empty()) << "no vectors in testdata/" << name;
  return vectors;
}

inline Bytes hex(const std::string& text) {
  auto bytes = from_hex(text);
  EXPECT_TRUE(bytes.has_value()) << "bad hex in a vector file: " << text;
  return bytes.value_or(Bytes{});
}

template <std::size_t N>
std::array<std::uint8_t, N> hex_array(const std::string& text) {
  auto bytes = from_hex_array<N>(text);
  EXPECT_TRUE(bytes.has_value()) << "bad hex in a vector file: " << text;
  return bytes.value_or(std::array<std::uint8_t, N>{});
}

template <std::size_t N>
Secret<N> hex_secret(const std::string& text) {
  auto bytes = hex_array<N>(text);
  Secret<N> secret{ByteView(bytes)};
  secure_wipe(bytes.data(), bytes.size());
  return secret;
}

}  // namespace keylink::testing
