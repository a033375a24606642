// Starts the real custodyd binary, as an operator would, and checks its start line, its health
// endpoint and its exit on SIGTERM.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// A child process running custodyd with its standard output and error on one pipe.
class Custodyd {
 public:
  explicit Custodyd(const std::vector<std::string>& arguments) {
    int fds[2];
    if (pipe(fds) != 0) {
      return;
    }
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      dup2(fds[1], STDERR_FILENO);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> argv;
      std::string program = CUSTODYD_PATH;
      argv.push_back(program.data());
      std::vector<std::string> copies = arguments;
      for (std::string& argument : copies) {
        argv.push_back(argument.data());
      }
      argv.push_back(nullptr);
      execv(CUSTODYD_PATH, argv.data());
      _exit(127);
    }
    close(fds[1]);
    output_fd_ = fds[0];
  }

  ~Custodyd() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (output_fd_ >= 0) {
      close(output_fd_);
    }
  }

  Custodyd(const Custodyd&) = delete;
  Custodyd& operator=(const Custodyd&) = delete;

  // Returns the first output line containing `needle`, or "" when none arrives in time.
  std::string WaitForLine(const std::string& needle, milliseconds timeout) {
    const auto deadline = steady_clock::now() + timeout;
    for (;;) {
      size_t newline = 0;
      while ((newline = buffer_.find('\n')) != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        output_ += line + "\n";
        if (line.find(needle) != std::string::npos) {
          return line;
        }
      }
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now()).count();
      if (left <= 0) {
        return "";
      }
      pollfd poll_fd{output_fd_, POLLIN, 0};
      if (poll(&poll_fd, 1, static_cast<int>(left)) <= 0) {
        return "";
      }
      char chunk[4096];
      const ssize_t n = read(output_fd_, chunk, sizeof(chunk));
      if (n <= 0) {
        return "";
      }
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  // Waits for the process to exit and returns its wait status, or -1 on timeout.
  int WaitForExit(milliseconds timeout) {
    const auto deadline = steady_clock::now() + timeout;
    while (steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return status;
      }
      usleep(20000);
    }
    return -1;
  }

  void Signal(int signal_number) { kill(pid_, signal_number); }

  bool started() const { return pid_ > 0; }

  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int output_fd_ = -1;
  bool exited_ = false;
  std::string buffer_;
  std::string output_;
};

// Sends one HTTP/1.1 GET to 127.0.0.1:port and returns the raw response ("" on failure).
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  std::string response;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char chunk[4096];
      ssize_t n = 0;
      while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0) {
        response.append(chunk, static_cast<size_t>(n));
      }
    }
  }
  close(fd);
  return response;
}

// Returns the integer value of "key":N in a JSON log line, or -1.
int IntField(const std::string& line, const std::string& key) {
  const std::string marker = "\"" + key + "\":";
  const size_t start = line.find(marker);
  if (start == std::string::npos) {
    return -1;
  }
  return std::atoi(line.c_str() + start + marker.size());
}

class CustodydProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("custodyd-test-" + std::to_string(getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(directory_);
  }

  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string WriteConfig(const std::string& text) {
    const std::string path = (directory_ / "custody.toml").string();
    std::ofstream(path) << text;
    return path;
  }

  // The [audit] section that `custodyd serve` needs: a signing key in the test's directory,
  // which `custodyd init` or `custodyd audit keygen` creates.
  std::string AuditSection() const {
    return "\n[audit]\nsigning_key_file = \"" + (directory_ / "audit.key").string() + "\"\n";
  }

  // Runs `custodyd audit keygen` for AuditSection's key and returns its exit status.
  int CreateSigningKey(const std::string& config) {
    Custodyd keygen(
        {"--config", config, "audit", "keygen", "--out", (directory_ / "audit.key").string()});
    return keygen.WaitForExit(milliseconds(15000));
  }

  std::filesystem::path directory_;
};

TEST_F(CustodydProcess, ServesHealthzAndStopsOnSigterm) {
  const std::string config = WriteConfig(
      "[server]\nlisten = \"127.0.0.1:0\"\nworker_threads = 2\n\n[database]\npath = \"" +
      (directory_ / "custody.db").string() + "\"\n" + AuditSection());
  ASSERT_EQ(CreateSigningKey(config), 0);
  Custodyd process({"--config", config, "serve"});
  ASSERT_TRUE(process.started());

  const std::string start_line = process.WaitForLine("custodyd listening", milliseconds(20000));
  ASSERT_FALSE(start_line.empty()) << process.output();
  EXPECT_NE(start_line.find("\"address\":\"127.0.0.1\""), std::string::npos) << start_line;
  const int port = IntField(start_line, "port");
  ASSERT_GT(port, 0) << start_line;

  const std::string health = HttpGet(port, "/healthz");
  EXPECT_EQ(health.rfind("HTTP/1.1 200", 0), 0u) << health;
  EXPECT_NE(health.find(R"({"status":"ok"})"), std::string::npos) << health;
  EXPECT_EQ(health.find("Date:"), std::string::npos) << health;

  const std::string metrics = HttpGet(port, "/metrics");
  EXPECT_NE(metrics.find("custody_http_request_body_bytes_total"), std::string::npos);

  const std::string access_line = process.WaitForLine("\"path\":\"/healthz\"", milliseconds(5000));
  EXPECT_NE(access_line.find("\"status\":200"), std::string::npos) << access_line;

  process.Signal(SIGTERM);
  const int status = process.WaitForExit(milliseconds(15000));
  ASSERT_NE(status, -1) << "custodyd did not exit within 15 s of SIGTERM";
  ASSERT_TRUE(WIFEXITED(status)) << "wait status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(process.WaitForLine("custodyd stopped", milliseconds(2000)).empty())
      << process.output();
}

TEST_F(CustodydProcess, StopsOnSigint) {
  // serve opens the database at start, so it needs a path it can create.
  const std::string config =
      WriteConfig("[server]\nlisten = \"127.0.0.1:0\"\n\n[database]\npath = \"" +
                  (directory_ / "custody.db").string() + "\"\n" + AuditSection());
  ASSERT_EQ(CreateSigningKey(config), 0);
  Custodyd process({"--config", config, "serve"});
  ASSERT_FALSE(process.WaitForLine("custodyd listening", milliseconds(20000)).empty())
      << process.output();
  process.Signal(SIGINT);
  const int status = process.WaitForExit(milliseconds(15000));
  ASSERT_NE(status, -1);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(CustodydProcess, InitPrintsIdsAndToken) {
  const std::string config =
      WriteConfig("[database]\npath = \"" + (directory_ / "custody.db").string() + "\"\n");
  Custodyd process(
      {"--config", config, "init", "--org", "Acme", "--admin-email", "Admin@Acme.test"});
  ASSERT_TRUE(process.started());
  const std::string line = process.WaitForLine("\"token\":\"cst_", milliseconds(20000));
  ASSERT_FALSE(line.empty()) << process.output();
  EXPECT_EQ(line.rfind("{\"organization_id\":\"org_", 0), 0u) << line;
  EXPECT_NE(line.find("\"root_entity_id\":\"ent_"), std::string::npos) << line;
  EXPECT_NE(line.find("\"admin_user_id\":\"usr_"), std::string::npos) << line;
  const int status = process.WaitForExit(milliseconds(15000));
  ASSERT_TRUE(WIFEXITED(status)) << "wait status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(CustodydProcess, InitCreatesSigningKeyThatServeAccepts) {
  const std::string config =
      WriteConfig("[server]\nlisten = \"127.0.0.1:0\"\n\n[database]\npath = \"" +
                  (directory_ / "custody.db").string() + "\"\n" + AuditSection());
  Custodyd init({"--config", config, "init", "--org", "Acme", "--admin-email", "a@acme.test"});
  ASSERT_EQ(init.WaitForExit(milliseconds(20000)), 0) << init.output();

  struct stat info {};

  ASSERT_EQ(stat((directory_ / "audit.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  Custodyd serve({"--config", config, "serve"});
  ASSERT_FALSE(serve.WaitForLine("custodyd listening", milliseconds(20000)).empty())
      << serve.output();
  serve.Signal(SIGTERM);
  EXPECT_NE(serve.WaitForExit(milliseconds(15000)), -1);
}

TEST_F(CustodydProcess, ServeRefusesMissingOrReadableKey) {
  const std::string config =
      WriteConfig("[server]\nlisten = \"127.0.0.1:0\"\n\n[database]\npath = \"" +
                  (directory_ / "custody.db").string() + "\"\n" + AuditSection());
  {
    Custodyd serve({"--config", config, "serve"});
    EXPECT_FALSE(serve.WaitForLine("audit signing key file", milliseconds(20000)).empty())
        << serve.output();
    const int status = serve.WaitForExit(milliseconds(15000));
    ASSERT_TRUE(WIFEXITED(status)) << "wait status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 1);
  }
  ASSERT_EQ(CreateSigningKey(config), 0);
  // keygen never overwrites an existing key.
  EXPECT_NE(CreateSigningKey(config), 0);
  ASSERT_EQ(chmod((directory_ / "audit.key").c_str(), 0644), 0);
  Custodyd serve({"--config", config, "serve"});
  EXPECT_FALSE(serve.WaitForLine("chmod 600", milliseconds(20000)).empty()) << serve.output();
  const int status = serve.WaitForExit(milliseconds(15000));
  ASSERT_TRUE(WIFEXITED(status)) << "wait status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 1);
}

TEST_F(CustodydProcess, InitWithInvalidEmailExitsTwo) {
  const std::string config =
      WriteConfig("[database]\npath = \"" + (directory_ / "custody.db").string() + "\"\n");
  Custodyd process({"--config", config, "init", "--org", "Acme", "--admin-email", "not-an-email"});
  ASSERT_TRUE(process.started());
  const std::string line = process.WaitForLine("custodyd init failed", milliseconds(20000));
  EXPECT_NE(line.find("\"field\":\"/email\""), std::string::npos) << process.output();
  const int status = process.WaitForExit(milliseconds(15000));
  ASSERT_TRUE(WIFEXITED(status)) << "wait status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 2) << process.output();
  EXPECT_EQ(process.output().find("cst_"), std::string::npos) << process.output();
}

TEST_F(CustodydProcess, InvalidConfigExitsWithKeyNamed) {
  const std::string config = WriteConfig("[server]\nworker_threads = 0\n");
  Custodyd process({"--config", config, "serve"});
  const std::string line = process.WaitForLine("invalid configuration", milliseconds(20000));
  EXPECT_NE(line.find("server.worker_threads must be between 1 and 256, got 0"), std::string::npos)
      << process.output();
  const int status = process.WaitForExit(milliseconds(10000));
  ASSERT_NE(status, -1);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

TEST_F(CustodydProcess, MissingSubcommandIsUsageError) {
  const std::string config = WriteConfig("");
  Custodyd process({"--config", config});
  const int status = process.WaitForExit(milliseconds(10000));
  ASSERT_NE(status, -1);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0);
}

}  // namespace
