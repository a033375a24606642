#include "custody/cli/login.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "custody/aws/sigv4.h"
#include "custody/cli/api_client.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"
#include "custody/crypto/random.h"

extern char** environ;

namespace custody::cli {
namespace {

using nlohmann::json;

constexpr size_t kVerifierLength = 64;
constexpr size_t kMaxRequestBytes = 8192;
constexpr size_t kMaxCredentialFileBytes = 16384;
constexpr std::string_view kCallbackPath = "/callback";

// Closes a file descriptor when it goes out of scope.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}

  ~Descriptor() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;

  int get() const { return fd_; }

 private:
  int fd_;
};

std::string CodeChallenge(std::string_view verifier) {
  const crypto::Sha256Digest digest = crypto::Sha256(verifier);
  return crypto::Base64UrlEncode(crypto::AsChars(digest));
}

void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent <= 0) {
      return;
    }
    data.remove_prefix(static_cast<size_t>(sent));
  }
}

void Reply(int fd, int status, std::string_view text) {
  const std::string body = "<!doctype html><meta charset=\"utf-8\"><title>Custody</title><p>" +
                           std::string(text) + "</p>";
  const std::string response = "HTTP/1.1 " + std::to_string(status) +
                               (status == 200 ? " OK" : " Not Found") +
                               "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  SendAll(fd, response);
}

// Returns the value of `name` in a query string, or nullopt.
std::optional<std::string> QueryValue(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t end = std::min(query.find('&'), query.size());
    const std::string_view pair = query.substr(0, end);
    if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    query.remove_prefix(std::min(end + 1, query.size()));
  }
  return std::nullopt;
}

bool IsAlphanumeric(std::string_view text) {
  for (char c : text) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return !text.empty();
}

// Waits on the listening socket for the browser's GET /callback?code=... and returns the code.
// Other requests (a favicon, say) get 404 and the wait goes on.
Result<std::string> AwaitCode(int listener, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) {
      return Status(ErrorCode::kDeadlineExceeded, "no sign-in arrived within " +
                                                      std::to_string(timeout.count()) +
                                                      " seconds; run custody login again");
    }
    pollfd waiting{listener, POLLIN, 0};
    if (::poll(&waiting, 1, static_cast<int>(remaining.count())) <= 0) {
      continue;
    }
    Descriptor connection(::accept(listener, nullptr, nullptr));
    if (connection.get() < 0) {
      continue;
    }
    std::string request;
    char buffer[1024];
    while (request.find("\r\n") == std::string::npos && request.size() < kMaxRequestBytes) {
      pollfd readable{connection.get(), POLLIN, 0};
      if (::poll(&readable, 1, 5000) <= 0) {
        break;
      }
      const ssize_t received = ::recv(connection.get(), buffer, sizeof(buffer), 0);
      if (received <= 0) {
        break;
      }
      request.append(buffer, static_cast<size_t>(received));
    }
    // "GET /callback?code=... HTTP/1.1"
    const std::string line = request.substr(0, request.find("\r\n"));
    const size_t target_start = line.find(' ');
    const size_t target_end = line.rfind(' ');
    if (!line.starts_with("GET ") || target_start == target_end) {
      Reply(connection.get(), 404, "Not found.");
      continue;
    }
    const std::string target = line.substr(target_start + 1, target_end - target_start - 1);
    const size_t question = target.find('?');
    if (target.substr(0, question) != kCallbackPath || question == std::string::npos) {
      Reply(connection.get(), 404, "Not found.");
      continue;
    }
    const std::optional<std::string> code = QueryValue(target.substr(question + 1), "code");
    if (!code.has_value() || !IsAlphanumeric(*code)) {
      Reply(connection.get(), 404, "Not found.");
      continue;
    }
    Reply(connection.get(), 200, "You are signed in to Custody. You can close this window.");
    return *code;
  }
}

void OpenBrowser(const std::string& url) {
  const char* display = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if ((display == nullptr || *display == '\0') && (wayland == nullptr || *wayland == '\0')) {
    return;
  }
  pid_t pid = 0;
  std::string program = "xdg-open";
  std::string argument = url;
  char* argv[] = {program.data(), argument.data(), nullptr};
  if (::posix_spawnp(&pid, "xdg-open", nullptr, nullptr, argv, environ) == 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
}

Result<json> PostJson(aws::HttpTransport& transport, const std::string& url, const json& body) {
  aws::HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  request.body = body.dump();
  CUSTODY_ASSIGN_OR_RETURN(aws::HttpResponse response, transport.Send(request));
  if (response.status / 100 != 2) {
    return StatusFromProblem(response);
  }
  json parsed = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return UpstreamFailed("the server's answer from " + url + " is not a JSON object");
  }
  return parsed;
}

}  // namespace

Result<std::filesystem::path> CredentialFilePath(const EnvironmentLookup& environment) {
  CUSTODY_ASSIGN_OR_RETURN(const std::filesystem::path config, ConfigFilePath(environment));
  return config.parent_path() / "credentials.json";
}

Result<std::optional<StoredCredential>> LoadCredential(const std::filesystem::path& path) {
  struct stat info {};

  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) {
      return std::optional<StoredCredential>();
    }
    return FailedPrecondition("cannot read " + path.string());
  }
  if (!S_ISREG(info.st_mode) || (info.st_mode & 077) != 0) {
    return FailedPrecondition(path.string() +
                              " must be a file readable by its owner only (chmod 600)");
  }
  std::ifstream file(path, std::ios::binary);
  std::string text(kMaxCredentialFileBytes + 1, '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (text.size() > kMaxCredentialFileBytes || parsed.is_discarded() || !parsed.is_object() ||
      !parsed.contains("server") || !parsed["server"].is_string() ||
      !parsed.contains("organization_id") || !parsed["organization_id"].is_string() ||
      !parsed.contains("refresh_token") || !parsed["refresh_token"].is_string()) {
    return FailedPrecondition(path.string() + " is not a valid credential file; run custody login");
  }
  return std::optional<StoredCredential>(StoredCredential{
      parsed["server"].get<std::string>(), parsed["organization_id"].get<std::string>(),
      Secret(parsed["refresh_token"].get<std::string>())});
}

Status SaveCredential(const std::filesystem::path& path, const StoredCredential& credential) {
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (error) {
    return FailedPrecondition("cannot create " + path.parent_path().string() + ": " +
                              error.message());
  }
  ::chmod(path.parent_path().c_str(), 0700);
  const std::filesystem::path temporary = path.string() + ".tmp";
  ::unlink(temporary.c_str());
  Descriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    return FailedPrecondition("cannot write " + temporary.string());
  }
  const std::string text = json{{"server", credential.server},
                                {"organization_id", credential.organization_id},
                                {"refresh_token", credential.refresh_token.Reveal()}}
                               .dump() +
                           "\n";
  const bool written =
      ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
      ::fsync(fd.get()) == 0;
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return FailedPrecondition("cannot write " + path.string());
  }
  return Status::Ok();
}

Status RunLogin(aws::HttpTransport& transport, const std::string& server_url,
                const LoginOptions& options, const std::filesystem::path& credential_path,
                std::ostream& err) {
  if (!IsPathSafeId(options.organization_id)) {
    return InvalidArgument("--org must be an organization id (org_...)", "--org");
  }
  Descriptor listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (listener.get() < 0 ||
      ::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener.get(), 4) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return Unavailable("cannot listen on 127.0.0.1 for the sign-in callback");
  }
  const std::string redirect =
      "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + std::string(kCallbackPath);
  const std::string verifier = crypto::RandomAlphanumeric(kVerifierLength);
  const std::string url = server_url +
                          "/auth/oidc/start?organization_id=" + options.organization_id +
                          "&cli_redirect=" + aws::sigv4::UriEncode(redirect, true) +
                          "&cli_challenge=" + CodeChallenge(verifier);
  err << "Open this URL in your browser to sign in:\n  " << url << "\n";
  err.flush();
  if (options.open_browser) {
    OpenBrowser(url);
  }
  CUSTODY_ASSIGN_OR_RETURN(const std::string code, AwaitCode(listener.get(), options.timeout));
  CUSTODY_ASSIGN_OR_RETURN(
      const json token,
      PostJson(transport, server_url + "/auth/token",
               json{{"grant_type", "cli_code"}, {"code", code}, {"code_verifier", verifier}}));
  if (!token.contains("refresh_token") || !token["refresh_token"].is_string()) {
    return UpstreamFailed("the server returned no refresh credential");
  }
  const auto organization = token.find("organization_id");
  StoredCredential credential{server_url,
                              organization != token.end() && organization->is_string()
                                  ? organization->get<std::string>()
                                  : options.organization_id,
                              Secret(token["refresh_token"].get<std::string>())};
  CUSTODY_RETURN_IF_ERROR(SaveCredential(credential_path, credential));
  err << "Signed in. The credential is stored in " << credential_path.string() << "\n";
  return Status::Ok();
}

Status RunLogout(aws::HttpTransport& transport, const std::filesystem::path& credential_path,
                 std::ostream& err) {
  CUSTODY_ASSIGN_OR_RETURN(const std::optional<StoredCredential> credential,
                           LoadCredential(credential_path));
  if (!credential.has_value()) {
    err << "Not signed in.\n";
    return Status::Ok();
  }
  const Result<json> signed_out =
      PostJson(transport, credential->server + "/auth/sign-out",
               json{{"refresh_token", credential->refresh_token.Reveal()}});
  if (!signed_out.ok() && signed_out.status().code() != ErrorCode::kUnauthenticated) {
    return signed_out.status();
  }
  std::filesystem::remove(credential_path);
  err << "Signed out.\n";
  if (signed_out.ok()) {
    const auto url = signed_out->find("end_session_url");
    if (url != signed_out->end() && url->is_string()) {
      err << "To sign out of your identity provider too, open:\n  " << url->get<std::string>()
          << "\n";
    }
  }
  return Status::Ok();
}

Result<Secret> AccessTokenFromCredential(aws::HttpTransport& transport,
                                         const StoredCredential& credential) {
  Result<json> token = PostJson(
      transport, credential.server + "/auth/token",
      json{{"grant_type", "refresh_token"}, {"refresh_token", credential.refresh_token.Reveal()}});
  if (!token.ok()) {
    if (token.status().code() == ErrorCode::kUnauthenticated) {
      return Unauthenticated("the stored sign-in has ended; run custody login");
    }
    return token.status();
  }
  if (!token->contains("access_token") || !(*token)["access_token"].is_string()) {
    return UpstreamFailed("the server returned no access token");
  }
  return Secret((*token)["access_token"].get<std::string>());
}

}  // namespace custody::cli
