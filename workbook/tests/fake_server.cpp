#include "fake_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace wb_test {

namespace {

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(std::string("fake server: ") + what + ": " + std::strerror(errno));
}

// A TCP socket bound to 127.0.0.1 on a port the kernel picks.
int bound_socket(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("bind");
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) fail("getsockname");
  port = ntohs(addr.sin_port);
  return fd;
}

// Takes one complete RESP2 array of bulk strings off the front of `buf`.
// Bytes that are not RESP (another protocol's client) are dropped unread.
bool take_command(std::string& buf, std::vector<std::string>& argv) {
  argv.clear();
  std::size_t pos = 0;
  auto number = [&](char marker, std::size_t& n) {
    if (pos >= buf.size()) return false;
    std::size_t end = buf.find("\r\n", pos);
    if (buf[pos] != marker || end == std::string::npos || end == pos + 1 ||
        buf.find_first_not_of("0123456789", pos + 1) != end) {
      if (buf[pos] != marker || end != std::string::npos) buf.clear();
      return false;
    }
    n = std::stoul(buf.substr(pos + 1, end - pos - 1));
    pos = end + 2;
    return true;
  };
  std::size_t count = 0;
  if (!number('*', count)) return false;
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t len = 0;
    if (!number('$', len)) return false;
    if (buf.size() < pos + len + 2) return false;
    argv.push_back(buf.substr(pos, len));
    pos += len + 2;
  }
  buf.erase(0, pos);
  return true;
}

std::string reply_to(const std::vector<std::string>& argv) {
  std::string name = argv.empty() ? "" : argv[0];
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (name == "PING") return "+PONG\r\n";
  if (name == "GET" && argv.size() > 1)
    return "$" + std::to_string(argv[1].size()) + "\r\n" + argv[1] + "\r\n";
  return "+OK\r\n";
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

FakeServer::FakeServer(bool silent) : silent_(silent) {
  listen_fd_ = bound_socket(port_);
  if (::listen(listen_fd_, 64) != 0) fail("listen");
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakeServer::~FakeServer() {
  stop_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  ::close(listen_fd_);
}

std::string FakeServer::url(const std::string& credentials, const std::string& path) const {
  std::string auth = credentials.empty() ? "" : credentials + "@";
  return "redis://" + auth + "127.0.0.1:" + std::to_string(port_) + path;
}

void FakeServer::drop_connections() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
}

std::vector<FakeServer::Received> FakeServer::received() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_;
}

void FakeServer::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    int index = accepted_++;
    std::lock_guard<std::mutex> lock(mutex_);
    fds_.push_back(fd);
    workers_.emplace_back([this, fd, index] { serve(fd, index); });
  }
}

void FakeServer::serve(int fd, int index) {
  std::string buf;
  std::vector<std::string> argv;
  char chunk[65536];
  while (!stop_) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    if (silent_) {
      std::lock_guard<std::mutex> lock(mutex_);
      received_.push_back(Received{index, {std::string(chunk, static_cast<std::size_t>(n))}});
      continue;
    }
    buf.append(chunk, static_cast<std::size_t>(n));
    bool open = true;
    while (open && take_command(buf, argv)) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        received_.push_back(Received{index, argv});
      }
      long long wait = delay_ms_;
      if (index == delayed_connection_) wait += delayed_connection_ms_;
      for (long long waited = 0; waited < wait && !stop_; waited += 5)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      open = send_all(fd, reply_to(argv));
    }
    if (!open) break;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end());
  ::close(fd);
}

FullBacklogListener::FullBacklogListener() {
  listen_fd_ = bound_socket(port_);
  // Backlog 0 holds one finished handshake; the filler takes it, and the
  // kernel then drops every further SYN instead of answering it.
  if (::listen(listen_fd_, 0) != 0) fail("listen");
  filler_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (filler_fd_ < 0) fail("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port_));
  if (::connect(filler_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("connect");
}

FullBacklogListener::~FullBacklogListener() {
  ::close(filler_fd_);
  ::close(listen_fd_);
}

int closed_port() {
  int port = 0;
  int fd = bound_socket(port);
  ::close(fd);
  return port;
}

}  // namespace wb_test
