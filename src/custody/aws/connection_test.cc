#include "custody/aws/connection.h"

#include <set>

#include <gtest/gtest.h>

namespace custody::aws {
namespace {

AwsConnection ValidAws() {
  AwsConnection connection;
  connection.role_arn = "arn:aws:iam::123456789012:role/CustodyEvidence";
  connection.external_id = GenerateExternalId();
  connection.bucket = "acme-evidence";
  connection.region = "eu-west-1";
  connection.kms_key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
  connection.key_prefix = "custody/";
  return connection;
}

AwsConnection ValidRgw() {
  AwsConnection connection = ValidAws();
  connection.role_arn = "arn:aws:iam:::role/EvidenceUploader";
  connection.region = "us-east-1";
  connection.kms_key_id = "testkey-1";
  connection.endpoint = "http://127.0.0.1:7480";
  return connection;
}

TEST(ValidateConnectionTest, AcceptsValidConnections) {
  EXPECT_TRUE(ValidateConnection(ValidAws(), false).ok())
      << ValidateConnection(ValidAws(), false).ToString();
  EXPECT_TRUE(ValidateConnection(ValidRgw(), true).ok())
      << ValidateConnection(ValidRgw(), true).ToString();

  AwsConnection with_arn = ValidAws();
  with_arn.kms_key_id =
      "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  with_arn.key_prefix = "";
  with_arn.role_arn = "arn:aws:iam::123456789012:role/service-role/Custody+Evidence@x";
  EXPECT_TRUE(ValidateConnection(with_arn, false).ok())
      << ValidateConnection(with_arn, false).ToString();
}

struct BadCase {
  const char* name;
  void (*mutate)(AwsConnection*);
  const char* field;
};

TEST(ValidateConnectionTest, RejectsEachBadField) {
  const BadCase kCases[] = {
      {"role arn empty", [](AwsConnection* c) { c->role_arn = ""; }, "/role_arn"},
      {"role arn user", [](AwsConnection* c) { c->role_arn = "arn:aws:iam::123456789012:user/x"; },
       "/role_arn"},
      {"role arn short account", [](AwsConnection* c) { c->role_arn = "arn:aws:iam::1234:role/x"; },
       "/role_arn"},
      {"role arn no account on aws", [](AwsConnection* c) { c->role_arn = "arn:aws:iam:::role/x"; },
       "/role_arn"},
      {"role arn other partition",
       [](AwsConnection* c) { c->role_arn = "arn:evil:iam::123456789012:role/x"; }, "/role_arn"},
      {"role arn bad char",
       [](AwsConnection* c) { c->role_arn = "arn:aws:iam::123456789012:role/a b"; }, "/role_arn"},
      {"role arn long name",
       [](AwsConnection* c) {
         c->role_arn = "arn:aws:iam::123456789012:role/" + std::string(65, 'a');
       },
       "/role_arn"},
      {"external id empty", [](AwsConnection* c) { c->external_id = ""; }, "/external_id"},
      {"external id short", [](AwsConnection* c) { c->external_id = std::string(31, 'a'); },
       "/external_id"},
      {"external id bad char",
       [](AwsConnection* c) { c->external_id = std::string(32, 'a') + " "; }, "/external_id"},
      {"bucket short", [](AwsConnection* c) { c->bucket = "ab"; }, "/bucket"},
      {"bucket upper", [](AwsConnection* c) { c->bucket = "Acme"; }, "/bucket"},
      {"bucket underscore", [](AwsConnection* c) { c->bucket = "acme_x"; }, "/bucket"},
      {"bucket ip", [](AwsConnection* c) { c->bucket = "192.168.1.1"; }, "/bucket"},
      {"bucket dot on aws", [](AwsConnection* c) { c->bucket = "acme.evidence"; }, "/bucket"},
      {"bucket double dot", [](AwsConnection* c) { c->bucket = "acme..x"; }, "/bucket"},
      {"bucket trailing dash", [](AwsConnection* c) { c->bucket = "acme-"; }, "/bucket"},
      {"bucket xn prefix", [](AwsConnection* c) { c->bucket = "xn--acme"; }, "/bucket"},
      {"bucket alias suffix", [](AwsConnection* c) { c->bucket = "acme-s3alias"; }, "/bucket"},
      {"bucket too long", [](AwsConnection* c) { c->bucket = std::string(64, 'a'); }, "/bucket"},
      {"region empty", [](AwsConnection* c) { c->region = ""; }, "/region"},
      {"region shape", [](AwsConnection* c) { c->region = "europe"; }, "/region"},
      {"region upper", [](AwsConnection* c) { c->region = "EU-WEST-1"; }, "/region"},
      {"kms empty", [](AwsConnection* c) { c->kms_key_id = ""; }, "/kms_key_id"},
      {"kms alias", [](AwsConnection* c) { c->kms_key_id = "alias/custody"; }, "/kms_key_id"},
      {"kms name on aws", [](AwsConnection* c) { c->kms_key_id = "testkey-1"; }, "/kms_key_id"},
      {"kms arn other region",
       [](AwsConnection* c) {
         c->kms_key_id =
             "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
       },
       "/kms_key_id"},
      {"kms arn alias",
       [](AwsConnection* c) { c->kms_key_id = "arn:aws:kms:eu-west-1:123456789012:alias/x"; },
       "/kms_key_id"},
      {"prefix no slash", [](AwsConnection* c) { c->key_prefix = "custody"; }, "/key_prefix"},
      {"prefix leading slash", [](AwsConnection* c) { c->key_prefix = "/custody/"; },
       "/key_prefix"},
      {"prefix dot dot", [](AwsConnection* c) { c->key_prefix = "a/../"; }, "/key_prefix"},
      {"prefix double slash", [](AwsConnection* c) { c->key_prefix = "a//"; }, "/key_prefix"},
      {"prefix space", [](AwsConnection* c) { c->key_prefix = "a b/"; }, "/key_prefix"},
      {"prefix percent", [](AwsConnection* c) { c->key_prefix = "a%2F/"; }, "/key_prefix"},
      {"endpoint http public", [](AwsConnection* c) { c->endpoint = "http://s3.example.com"; },
       "/endpoint"},
  };
  for (const BadCase& bad : kCases) {
    AwsConnection connection = ValidAws();
    bad.mutate(&connection);
    const Status status = ValidateConnection(connection, /*allow_insecure_loopback=*/false);
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << bad.name;
    EXPECT_EQ(status.field(), bad.field) << bad.name << ": " << status.ToString();
  }
}

TEST(ValidateEndpointTest, HttpsAccepted) {
  EXPECT_TRUE(ValidateEndpoint("https://s3.example.com", false).ok());
  EXPECT_TRUE(ValidateEndpoint("https://s3.example.com:9000/", false).ok());
}

TEST(ValidateEndpointTest, HttpOnlyOnAllowedLoopback) {
  struct Case {
    const char* endpoint;
    bool allow;
    bool ok;
  };

  const Case kCases[] = {
      {"http://127.0.0.1:7480", true, true},
      {"http://127.9.9.9:7480", true, true},
      {"http://[::1]:7480", true, true},
      {"http://localhost:7480", true, true},
      {"http://127.0.0.1:7480", false, false},
      {"http://localhost:7480", false, false},
      {"http://localhost.evil.com:7480", true, false},
      {"http://127.0.0.1.nip.io", true, false},
      {"http://10.0.0.1:7480", true, false},
      {"http://169.254.169.254", true, false},
      {"http://0177.0.0.1", true, false},
      {"http://127.1", true, false},
      {"http://[::2]", true, false},
  };
  for (const Case& c : kCases) {
    const Status status = ValidateEndpoint(c.endpoint, c.allow);
    EXPECT_EQ(status.ok(), c.ok) << c.endpoint << " allow=" << c.allow << ": " << status.ToString();
    if (!status.ok()) {
      EXPECT_EQ(status.field(), "/endpoint");
    }
  }
}

TEST(ValidateEndpointTest, RejectsUserinfoQueryFragmentPath) {
  for (const char* endpoint :
       {"https://user@s3.example.com", "https://u:p@s3.example.com", "https://s3.example.com/?a=b",
        "https://s3.example.com?", "https://s3.example.com/#f", "https://s3.example.com/bucket",
        "ftp://s3.example.com", "s3.example.com", ""}) {
    const Status status = ValidateEndpoint(endpoint, true);
    EXPECT_FALSE(status.ok()) << endpoint;
    EXPECT_EQ(status.field(), "/endpoint") << endpoint;
  }
}

TEST(ValidateConnectionTest, EndpointRelaxesOnlyForCustomStores) {
  AwsConnection rgw = ValidRgw();
  EXPECT_EQ(ValidateConnection(rgw, false).field(), "/endpoint");
  rgw.bucket = "evidence.test";
  EXPECT_TRUE(ValidateConnection(rgw, true).ok());
}

TEST(GenerateExternalIdTest, LongRandomAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = GenerateExternalId();
    EXPECT_GE(id.size(), kMinExternalIdLength);
    for (char c : id) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << id;
    }
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(ObjectUrlTest, VirtualHostedOnAws) {
  const AwsConnection connection = ValidAws();
  EXPECT_EQ(BucketUrl(connection), "https://acme-evidence.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(ObjectUrl(connection, "custody/org_1/a b/..//c"),
            "https://acme-evidence.s3.eu-west-1.amazonaws.com/custody/org_1/a%20b/..//c");
}

TEST(ObjectUrlTest, PathStyleWithEndpoint) {
  AwsConnection connection = ValidRgw();
  connection.endpoint = "http://127.0.0.1:7480/";
  EXPECT_EQ(ObjectUrl(connection, "k/ü+=&?"),
            "http://127.0.0.1:7480/acme-evidence/k/%C3%BC%2B%3D%26%3F");
}

TEST(ObjectUrlTest, ChinaRegionsUseTheirDomain) {
  AwsConnection connection = ValidAws();
  connection.region = "cn-north-1";
  EXPECT_EQ(BucketUrl(connection), "https://acme-evidence.s3.cn-north-1.amazonaws.com.cn");
}

}  // namespace
}  // namespace custody::aws
