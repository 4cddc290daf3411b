// Golden streams recorded from the real zebra 8.4.4 (data/capture_zebra_frames.py): every
// frame decodes to what an independent decoder (the capture script's, in data/frames.json)
// saw, re-encodes to the same bytes, and the streams reassemble identically whatever the
// TCP read boundaries.
#include <gtest/gtest.h>
#include <linux/rtnetlink.h>

#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/codec/fpm.h"
#include "core/codec/netlink.h"
#include "core/codec/netlink_route.h"

namespace hr::codec {
namespace {

const char* kStreams[] = {"nhg_replay.bin", "nhg_live.bin", "inline_replay.bin", "inline_live.bin"};

std::vector<uint8_t> readFile(const std::string& name) {
  std::ifstream f(std::string(HR_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(f.good()) << name;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

nlohmann::json manifest() {
  std::ifstream f(std::string(HR_TEST_DATA_DIR) + "/frames.json");
  return nlohmann::json::parse(f);
}

std::vector<std::vector<uint8_t>> frames(const std::vector<uint8_t>& stream) {
  fpm::FrameReader r;
  EXPECT_TRUE(r.append(stream));
  std::vector<std::vector<uint8_t>> out;
  while (true) {
    auto f = r.next();
    EXPECT_TRUE(f) << f.error().str();
    if (!f || !*f) {
      break;
    }
    out.emplace_back((*f)->begin(), (*f)->end());
  }
  EXPECT_EQ(r.buffered(), 0u);
  return out;
}

// Our decode of one message in the manifest's vocabulary.
nlohmann::json describe(const nl::Message& m) {
  nlohmann::json j;
  if (m.hdr.type == RTM_NEWROUTE || m.hdr.type == RTM_DELROUTE) {
    auto r = nl::decodeRoute(m);
    EXPECT_TRUE(r) << r.error().str();
    j["type"] = r->isNew ? "NEWROUTE" : "DELROUTE";
    j["prefix"] = r->prefix().canonical().str();
    j["table"] = r->table();
    j["proto"] = r->protocol;
    if (r->nhId) {
      j["nh_id"] = *r->nhId;
    }
    if (r->gateway) {
      j["gateways"] = {r->gateway->str()};
    }
    if (r->oif) {
      j["oif"] = *r->oif;
    }
    if (!r->multipath.empty()) {
      j["multipath"] = nlohmann::json::array();
      for (const auto& nh : r->multipath) {
        j["multipath"].push_back(
            fmt::format("{}@{}", nh.gateway ? nh.gateway->str() : "None", nh.ifindex));
      }
    }
  } else {
    auto n = nl::decodeNexthop(m);
    EXPECT_TRUE(n) << n.error().str();
    j["type"] = n->isNew ? "NEWNEXTHOP" : "DELNEXTHOP";
    j["id"] = n->id;
    j["proto"] = n->protocol;
    if (n->isGroup()) {
      j["group"] = nlohmann::json::array();
      for (const auto& e : n->group) {
        j["group"].push_back(e.id);
      }
    }
    if (n->blackhole) {
      j["blackhole"] = true;
    }
    if (n->gateway) {
      j["gateway"] = n->gateway->str();
    }
    if (n->oif) {
      j["oif"] = *n->oif;
    }
  }
  return j;
}

TEST(ZebraCapture, EveryFrameMatchesTheIndependentDecoder) {
  auto man = manifest();
  size_t total = 0;
  for (const char* name : kStreams) {
    auto fs = frames(readFile(name));
    const auto& want = man.at(name);
    ASSERT_EQ(fs.size(), want.size()) << name;
    for (size_t i = 0; i < fs.size(); ++i) {
      auto msgs = nl::split(fs[i]);
      ASSERT_TRUE(msgs) << name << " frame " << i;
      ASSERT_EQ(msgs->size(), want[i].size()) << name << " frame " << i;
      for (size_t k = 0; k < msgs->size(); ++k) {
        auto got = describe(msgs->at(k));
        for (const auto& [key, v] : want[i][k].items()) {
          if (key == "flags" || key == "family" || key == "rtype") {
            continue;
          }
          EXPECT_EQ(got[key], v) << name << " frame " << i << " msg " << k << " field " << key;
        }
        ++total;
      }
    }
  }
  EXPECT_GT(total, 50u);
}

TEST(ZebraCapture, FramesReencodeToTheSameBytes) {
  for (const char* name : kStreams) {
    for (const auto& f : frames(readFile(name))) {
      std::vector<uint8_t> again;
      auto msgs = nl::split(f);
      ASSERT_TRUE(msgs);
      for (const auto& m : *msgs) {
        if (m.hdr.type == RTM_NEWROUTE || m.hdr.type == RTM_DELROUTE) {
          nl::encodeRoute(again, *nl::decodeRoute(m));
        } else {
          nl::encodeNexthop(again, *nl::decodeNexthop(m));
        }
      }
      EXPECT_EQ(again, f) << name;
    }
  }
}

TEST(ZebraCapture, StreamsSplitAtEveryByteBoundary) {
  for (const char* name : kStreams) {
    auto stream = readFile(name);
    auto want = frames(stream);
    for (size_t cut = 1; cut < stream.size(); ++cut) {
      fpm::FrameReader r;
      std::vector<std::vector<uint8_t>> got;
      for (auto part :
           {std::span<const uint8_t>(stream).first(cut),
            std::span<const uint8_t>(stream).subspan(cut)}) {
        ASSERT_TRUE(r.append(part));
        while (true) {
          auto f = r.next();
          ASSERT_TRUE(f);
          if (!*f) {
            break;
          }
          got.emplace_back((*f)->begin(), (*f)->end());
        }
      }
      ASSERT_EQ(got, want) << name << " cut at " << cut;
    }
  }
}

TEST(ZebraCapture, WhatZebraSentLooksAsFpmMdSays) {
  auto man = manifest();
  // Live update of an installed route: DEL + NEW of the same prefix in one frame.
  size_t pairs = 0;
  for (const auto& f : man.at("nhg_live.bin")) {
    if (f.size() == 2 && f[0]["type"] == "DELROUTE" && f[1]["type"] == "NEWROUTE" &&
        f[0]["prefix"] == f[1]["prefix"]) {
      ++pairs;
    }
  }
  EXPECT_EQ(pairs, 2u);
  // The NHG replay sends a group before one of its members (FPM.md §0.3).
  std::map<uint32_t, size_t> firstSeen;
  bool groupBeforeMember = false;
  const auto& replay = man.at("nhg_replay.bin");
  for (size_t i = 0; i < replay.size(); ++i) {
    for (const auto& m : replay[i]) {
      if (m["type"] != "NEWNEXTHOP") {
        continue;
      }
      firstSeen.emplace(m["id"].get<uint32_t>(), i);
    }
  }
  for (size_t i = 0; i < replay.size(); ++i) {
    for (const auto& m : replay[i]) {
      if (m["type"] != "NEWNEXTHOP" || !m.contains("group")) {
        continue;
      }
      for (const auto& member : m["group"]) {
        if (firstSeen.at(member.get<uint32_t>()) > i) {
          groupBeforeMember = true;
        }
      }
    }
  }
  EXPECT_TRUE(groupBeforeMember);
}

}  // namespace
}  // namespace hr::codec
