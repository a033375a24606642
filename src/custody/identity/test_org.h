// Test fixture for the identity tests: a fresh database with one organization, its admin and
// a second organization, made through the public functions.
#pragma once

#include <gtest/gtest.h>

#include "custody/identity/bootstrap.h"
#include "custody/store/testing.h"

namespace custody::identity::testing {

class OrgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<BootstrapResult> first =
        Bootstrap(db(), clock_, "Acme", "admin@acme.example", "Ada Admin");
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    acme_ = std::move(first).value();
    Result<BootstrapResult> second =
        Bootstrap(db(), clock_, "Globex", "admin@globex.example", "Gil Admin");
    ASSERT_TRUE(second.ok()) << second.status().ToString();
    globex_ = std::move(second).value();
  }

  store::Database& db() { return temp_.db(); }

  const std::string& acme_id() const { return acme_.organization.id; }

  const std::string& globex_id() const { return globex_.organization.id; }

  Result<User> AddUser(const std::string& organization_id, const std::string& email,
                       const std::string& display_name = "Someone") {
    return store::WriteReturning<User>(db(), [&](store::Transaction& tx) {
      return CreateUser(tx, clock_, organization_id, email, display_name);
    });
  }

  FixedClock clock_{FromUnixSeconds(1'800'000'000)};
  store::TempDatabase temp_;
  BootstrapResult acme_;
  BootstrapResult globex_;
};

}  // namespace custody::identity::testing
