#include "itsm/redis/redis_client.h"

#include "gtest/gtest.h"
#include "itsm/supervisor/backends.h"
#include "itsm/testing/test_env.h"

namespace itsm::redis {
namespace {

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = supervisor::RedisServer::Start(dir_.File("redis"), 0, dir_.File("redis.log"));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  itsm::testing::ScratchDir dir_;
  std::unique_ptr<supervisor::RedisServer> server_;
};

TEST_F(RedisClientTest, CommandsAndPipelinesCopyTheReplies) {
  RedisClient redis(server_->address());
  auto set = redis.Command({"SET", "k", std::string("a\0b", 3)});  // binary safe
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->str, "OK");
  auto replies = redis.Pipeline({{"GET", "k"},
                                 {"RPUSH", "l", "x", "y"},
                                 {"LRANGE", "l", "0", "-1"},
                                 {"GET", "missing"},
                                 {"INCR", "k"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 5u);
  EXPECT_EQ((*replies)[0].str, std::string("a\0b", 3));
  EXPECT_EQ((*replies)[1].integer, 2);
  ASSERT_EQ((*replies)[2].type, RedisValue::Type::kArray);
  ASSERT_EQ((*replies)[2].elements.size(), 2u);
  EXPECT_EQ((*replies)[2].elements[1].str, "y");
  EXPECT_TRUE((*replies)[3].nil());
  // An error reply fails its own command only, in a pipeline...
  EXPECT_EQ((*replies)[4].type, RedisValue::Type::kError);
  // ...and is INTERNAL with Redis' message for a single command.
  auto incr = redis.Command({"INCR", "k"});
  EXPECT_EQ(incr.status().code(), absl::StatusCode::kInternal);
}

TEST_F(RedisClientTest, ScriptsAreLoadedAgainAfterTheCacheIsLost) {
  RedisClient redis(server_->address());
  RedisClient::Script script;
  script.source = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
  auto first = redis.Eval(script, {"n"}, {"2"});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->integer, 2);
  EXPECT_FALSE(script.sha.empty());
  // As after a Redis restart or failover: the script cache is empty, the sha is still known.
  ASSERT_TRUE(redis.Command({"SCRIPT", "FLUSH"}).ok());
  auto many = redis.EvalMany(script, {{{"n"}, {"1"}}, {{"m"}, {"5"}}});
  ASSERT_TRUE(many.ok()) << many.status();
  ASSERT_EQ(many->size(), 2u);
  EXPECT_EQ((*many)[0].integer, 3);
  EXPECT_EQ((*many)[1].integer, 5);
}

TEST_F(RedisClientTest, UnreachableIsUnavailableAndTheNextCallReconnects) {
  RedisClient redis(server_->address(), absl::Seconds(1));
  ASSERT_TRUE(redis.Command({"SET", "k", "v"}).ok());
  const int port = server_->port();
  server_->Stop();
  EXPECT_EQ(redis.Command({"GET", "k"}).status().code(), absl::StatusCode::kUnavailable);
  auto server = supervisor::RedisServer::Start(dir_.File("redis"), port, dir_.File("redis2.log"));
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
  auto again = redis.Command({"GET", "k"});  // from the AOF
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->str, "v");
}

// The connect check sees each new connection's server before any command runs on it: the same
// identity (run_id/replication id) while the process lives, another one once it restarted; a
// refusal is the call's result and nothing was sent. An expired connection is opened again.
TEST_F(RedisClientTest, TheConnectCheckSeesWhichRedisProcessAndCanRefuseIt) {
  RedisClient redis(server_->address(), absl::Seconds(1));
  std::vector<std::string> seen;
  bool refuse = false;
  bool expired = false;
  redis.SetConnectionExpiry([&] { return expired; });
  redis.SetConnectCheck([&](const std::string& identity) {
    seen.push_back(identity);
    return refuse ? absl::UnavailableError("not this one") : absl::OkStatus();
  });
  ASSERT_TRUE(redis.Command({"SET", "k", "v1"}).ok());
  ASSERT_TRUE(redis.Command({"GET", "k"}).ok());
  ASSERT_EQ(seen.size(), 1u);      // one connection, checked once
  EXPECT_EQ(seen[0].size(), 81u);  // two 40-character ids
  expired = true;
  ASSERT_TRUE(redis.Command({"GET", "k"}).ok());
  expired = false;
  ASSERT_EQ(seen.size(), 2u);  // opened again, and checked
  EXPECT_EQ(seen[1], seen[0]);
  seen.pop_back();
  const int port = server_->port();
  server_->Stop();
  EXPECT_FALSE(redis.Command({"GET", "k"}).ok());
  auto server = supervisor::RedisServer::Start(dir_.File("redis"), port, dir_.File("redis2.log"));
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
  refuse = true;
  auto refused = redis.Command({"SET", "k", "v2"});
  EXPECT_EQ(refused.status().message(), "not this one");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[1], seen[0]);  // another process
  RedisClient other(server_->address());
  EXPECT_EQ(other.Command({"GET", "k"})->str, "v1");  // the refused SET never ran
  refuse = false;
  ASSERT_TRUE(redis.Command({"SET", "k", "v2"}).ok());
  EXPECT_EQ(seen.size(), 3u);
}

// A Redis that requires AUTH: the default user's password (requirepass) and a Redis 6 ACL user.
TEST_F(RedisClientTest, AuthenticatesWithAPasswordOrAnAclUserAndNeverSaysThePassword) {
  RedisClient admin(server_->address());
  ASSERT_TRUE(admin.Command({"ACL", "SETUSER", "itsm", "on", ">user-secret", "~*", "+@all"}).ok());
  ASSERT_TRUE(admin.Command({"CONFIG", "SET", "requirepass", "default-secret"}).ok());

  RedisClient anonymous(server_->address());
  auto refused = anonymous.Command({"GET", "k"});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("NOAUTH"), absl::string_view::npos) << refused.status();

  RedisClient with_password(server_->address(), absl::Seconds(5), {.password = "default-secret"});
  EXPECT_TRUE(with_password.Command({"SET", "k", "v"}).ok());
  RedisClient as_user(server_->address(), absl::Seconds(5),
                      {.username = "itsm", .password = "user-secret"});
  auto read = as_user.Command({"GET", "k"});
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->str, "v");

  RedisClient wrong(server_->address(), absl::Seconds(5),
                    {.username = "itsm", .password = "not-the-secret"});
  auto denied = wrong.Command({"GET", "k"});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.status().message().find("not-the-secret"), absl::string_view::npos)
      << denied.status();
}

}  // namespace
}  // namespace itsm::redis
