// A network's latency on loopback: a TCP proxy that holds every byte for a
// while before passing it on. Lesson 14's example puts it between the client
// and the server to show what round trips cost when the server is not on the
// same machine.
//
//   wb::DelayProxy proxy("127.0.0.1", 6379, std::chrono::microseconds(1000));
//   wb::ConnectionOptions o = wb::ConnectionOptions::from_env();
//   o.host = "127.0.0.1";
//   o.port = proxy.port();              // every round trip now costs 1 ms more
//
// Each direction is delayed by half the added round trip: a request and its
// answer together wait `added_round_trip`. Bytes that arrive together leave
// together, so a pipeline of 100 commands still pays the delay once. The
// proxy does not limit bandwidth, and it only listens on 127.0.0.1. One
// thread serves every connection (poll); the destructor closes them all.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace wb {

class DelayProxy {
 public:
  // Listens on a free 127.0.0.1 port and forwards each connection to
  // target_host:target_port. Throws std::runtime_error when it cannot listen,
  // and std::invalid_argument for a negative delay.
  DelayProxy(std::string target_host, int target_port, std::chrono::microseconds added_round_trip);
  ~DelayProxy();
  DelayProxy(const DelayProxy&) = delete;
  DelayProxy& operator=(const DelayProxy&) = delete;

  int port() const;
  std::chrono::microseconds added_round_trip() const;
  // Connections accepted so far (each to a new connection to the target).
  long long connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wb
