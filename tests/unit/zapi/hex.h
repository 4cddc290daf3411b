// Test helpers: hex strings <-> bytes, and the golden capture files of tests/unit/zapi/data/.
//
// A capture file (*.zapi) holds one message per line: `<direction> <hex bytes>` where
// direction is `<` (zebra to client) or `>` (client to zebra); `#` starts a comment line.
#pragma once

#include <cctype>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace hr::test {

inline std::vector<uint8_t> hex(const std::string& s) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c)))
      continue;
    int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (v < 0 || v > 15)
      throw std::invalid_argument("bad hex digit in test data");
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  if (hi >= 0)
    throw std::invalid_argument("odd number of hex digits in test data");
  return out;
}

inline std::string toHex(const std::vector<uint8_t>& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    s.push_back(d[x >> 4]);
    s.push_back(d[x & 15]);
  }
  return s;
}

struct CapturedMessage {
  bool fromZebra = true;
  std::vector<uint8_t> bytes;
  int line = 0;
};

inline std::vector<CapturedMessage> readCapture(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot open " + path);
  std::vector<CapturedMessage> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#')
      continue;
    CapturedMessage m;
    m.fromZebra = line[0] == '<';
    m.bytes = hex(line.substr(1));
    m.line = n;
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace hr::test
