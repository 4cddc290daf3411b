#include "tools/validate.h"

#include "fpm_client/dataplane_config.h"
#include "fpm_client/injection_config.h"
#include "hostroute_learner/learner_config.h"
#include "vrrp_anycast/vrrp_config.h"

namespace hr::cli {

config::ConfigResult<config::DataTree> validateDocument(
    const std::shared_ptr<config::YangContext>& ctx, const std::string& file) {
  auto tree = config::parseFile(ctx, file);
  if (!tree) {
    return tree;
  }
  config::ConfigError all{file, {}};
  // Every daemon's own checks, as each runs them when it loads the document.
  if (auto r = learner::parseLearnerConfig(*tree); !r) {
    for (auto& i : r.error().issues) {
      all.issues.push_back(i);
    }
  }
  if (auto r = fpm_client::parseInjectionConfig(*tree); !r) {
    for (auto& i : r.error().issues) {
      all.issues.push_back(i);
    }
  }
  if (auto r = vrrp::parseVrrpConfig(*tree); !r) {
    for (auto& i : r.error().issues) {
      all.issues.push_back(i);
    }
  }
  // fpm_client's data path (the profile may come from the shipped catalogue).
  if (auto cat = fpm_client::loadProfileCatalogue(ctx); !cat) {
    all.issues.push_back({"", cat.error().message});
  } else if (auto r = fpm_client::parseDataplaneConfig(*tree, *cat); !r) {
    for (auto& i : r.error().issues) {
      all.issues.push_back(i);
    }
  }
  if (!all.issues.empty()) {
    return Unexpected<config::ConfigError>(std::move(all));
  }
  return tree;
}

}  // namespace hr::cli
