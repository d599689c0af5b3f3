// Small local TCP servers for what the real server cannot be made to do on
// demand: never answer, answer late, drop every connection, or never finish
// the TCP handshake. Everything listens on 127.0.0.1 at a port the kernel
// picks; nothing leaves this machine.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wb_test {

// Speaks just enough RESP2 for the client: reads commands and answers PING
// with PONG, GET with the key's own name as the value, anything else with OK.
// In silent mode it accepts and reads, and never answers (what it reads is
// kept as it came, one chunk per Received).
class FakeServer {
 public:
  struct Received {
    int connection = 0;  // 0 for the first connection accepted, 1 for the next...
    std::vector<std::string> argv;
  };

  explicit FakeServer(bool silent = false);
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  int port() const { return port_; }
  // "redis://127.0.0.1:<port>" followed by `path` (e.g. "/1").
  std::string url(const std::string& credentials = "", const std::string& path = "") const;

  void set_silent(bool silent) { silent_ = silent; }
  // Every reply waits this long first (each connection on its own thread, so
  // a late connection does not hold up the others).
  void set_reply_delay(std::chrono::milliseconds delay) { delay_ms_ = delay.count(); }
  // Only the replies on this connection wait (-1: none).
  void delay_connection(int connection, std::chrono::milliseconds delay) {
    delayed_connection_ = connection;
    delayed_connection_ms_ = delay.count();
  }

  // Closes every connection accepted so far (the client reads end-of-file).
  void drop_connections();
  int connections_accepted() const { return accepted_; }
  std::vector<Received> received() const;

 private:
  void accept_loop();
  void serve(int fd, int index);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> silent_{false};
  std::atomic<long long> delay_ms_{0};
  std::atomic<int> delayed_connection_{-1};
  std::atomic<long long> delayed_connection_ms_{0};
  std::atomic<int> accepted_{0};
  mutable std::mutex mutex_;
  std::vector<int> fds_;
  std::vector<std::thread> workers_;
  std::vector<Received> received_;
  std::thread acceptor_;
};

// A listening socket whose accept queue is full: a connect() to it gets no
// SYN-ACK, so it waits until the caller's connect timeout.
class FullBacklogListener {
 public:
  FullBacklogListener();
  ~FullBacklogListener();
  FullBacklogListener(const FullBacklogListener&) = delete;
  FullBacklogListener& operator=(const FullBacklogListener&) = delete;
  int port() const { return port_; }

 private:
  int listen_fd_ = -1;
  int filler_fd_ = -1;
  int port_ = 0;
};

// A port on 127.0.0.1 where nothing listens (bound for a moment, then freed).
int closed_port();

}  // namespace wb_test
