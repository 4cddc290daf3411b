// Test helpers: the golden capture files of tests/unit/zapi/data/ (hex <-> bytes: hex.h).
//
// A capture file (*.zapi) holds one message per line: `<direction> <hex bytes>` where
// direction is `<` (zebra to client) or `>` (client to zebra); `#` starts a comment line.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/unit/hex.h"

namespace hr::test {

struct CapturedMessage {
  bool fromZebra = true;
  std::vector<uint8_t> bytes;
  int line = 0;
};

inline std::vector<CapturedMessage> readCapture(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("cannot open " + path);
  }
  std::vector<CapturedMessage> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') {
      continue;
    }
    CapturedMessage m;
    m.fromZebra = line[0] == '<';
    m.bytes = hex(line.substr(1));
    m.line = n;
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace hr::test
