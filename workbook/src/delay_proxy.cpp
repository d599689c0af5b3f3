// wb::DelayProxy (see delay_proxy.hpp): one thread, non-blocking sockets, and
// a queue of (when due, bytes) per direction of every connection.
#include "workbook/delay_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <list>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace wb {

namespace {

using Clock = std::chrono::steady_clock;

// Above this many bytes waiting in one direction, the proxy stops reading
// that direction until the other side has taken some: memory stays bounded
// and the sender feels the back-pressure, as on a real network.
constexpr std::size_t kMaxBuffered = 8u << 20;

std::runtime_error failure(const std::string& what) {
  return std::runtime_error("DelayProxy: " + what + ": " + std::strerror(errno));
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

void set_nodelay(int fd) {
  // Without TCP_NODELAY, small writes wait for the peer's acknowledgement
  // (Nagle's algorithm): tens of milliseconds of delay nobody asked for.
  int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

int connect_to(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  return fd;
}

// One direction of a connection: bytes read from `from` wait in `queue`
// until due, then in `out` until `to` takes them.
struct Direction {
  struct Chunk {
    Clock::time_point due;
    std::string bytes;
    bool end = false;  // the sender closed its side
  };
  int from = -1;
  int to = -1;
  std::deque<Chunk> queue;
  std::string out;
  std::size_t buffered = 0;
  bool read_closed = false;   // EOF read from `from`
  bool write_closed = false;  // EOF passed on to `to`
};

struct Connection {
  Direction up;    // client -> server
  Direction down;  // server -> client
  bool broken = false;
  bool finished() const { return broken || (up.write_closed && down.write_closed); }
};

}  // namespace

struct DelayProxy::Impl {
  std::string host;
  int target_port = 0;
  std::chrono::microseconds round_trip{0};
  Clock::duration one_way{0};
  int listener = -1;
  int port = 0;
  int wake[2] = {-1, -1};
  std::atomic<bool> stopping{false};
  std::atomic<long long> accepted{0};
  std::list<Connection> connections;
  std::thread thread;

  void run() {
    while (!stopping) {
      std::vector<pollfd> fds;
      std::vector<std::pair<Direction*, bool>> owners;  // which fd is whose (reader?)
      fds.push_back({listener, POLLIN, 0});
      fds.push_back({wake[0], POLLIN, 0});
      Clock::time_point next = Clock::time_point::max();
      for (auto& c : connections) {
        for (Direction* d : {&c.up, &c.down}) {
          if (!d->read_closed && d->buffered < kMaxBuffered) {
            fds.push_back({d->from, POLLIN, 0});
            owners.emplace_back(d, true);
          }
          if (!d->out.empty()) {
            fds.push_back({d->to, POLLOUT, 0});
            owners.emplace_back(d, false);
          }
          if (!d->queue.empty() && d->queue.front().due < next) next = d->queue.front().due;
        }
      }
      int timeout_ms = -1;
      if (next != Clock::time_point::max()) {
        auto wait = next - Clock::now();
        timeout_ms = wait <= Clock::duration::zero()
                         ? 0
                         : static_cast<int>(
                               std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
      }
#ifdef __linux__
      // ppoll takes nanoseconds: delays below a millisecond stay accurate.
      timespec ts{};
      timespec* tsp = nullptr;
      if (next != Clock::time_point::max()) {
        auto wait = std::max(Clock::duration::zero(), next - Clock::now());
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
        ts.tv_sec = static_cast<time_t>(ns / 1000000000);
        ts.tv_nsec = static_cast<long>(ns % 1000000000);
        tsp = &ts;
      }
      (void)timeout_ms;
      int ready = ::ppoll(fds.data(), fds.size(), tsp, nullptr);
#else
      int ready = ::poll(fds.data(), static_cast<nfds_t>(fds.size()), timeout_ms);
#endif
      if (ready < 0 && errno != EINTR) break;
      if (stopping) break;
      if (fds[0].revents & POLLIN) accept_one();
      if (fds[1].revents & POLLIN) {
        char drain[64];
        while (::read(wake[0], drain, sizeof drain) > 0) {
        }
      }
      for (std::size_t i = 2; i < fds.size(); ++i) {
        if (!fds[i].revents) continue;
        auto [d, reader] = owners[i - 2];
        if (reader)
          read_into(*d);
        else
          write_out(*d);
      }
      const auto now = Clock::now();
      for (auto& c : connections)
        for (Direction* d : {&c.up, &c.down}) {
          release_due(*d, now);
          if (!d->out.empty()) write_out(*d);
        }
      for (auto it = connections.begin(); it != connections.end();) {
        if (it->finished()) {
          close_connection(*it);
          it = connections.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& c : connections) close_connection(c);
    connections.clear();
  }

  void accept_one() {
    int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    int server = connect_to(host, target_port);
    if (server < 0) {
      ::close(client);
      return;
    }
    ++accepted;
    for (int fd : {client, server}) {
      set_nonblocking(fd);
      set_nodelay(fd);
    }
    Connection c;
    c.up.from = client;
    c.up.to = server;
    c.down.from = server;
    c.down.to = client;
    connections.push_back(std::move(c));
  }

  Connection& owner_of(Direction& d) {
    for (auto& c : connections)
      if (&c.up == &d || &c.down == &d) return c;
    throw std::logic_error("DelayProxy: a direction without its connection");
  }

  void read_into(Direction& d) {
    char buffer[65536];
    ssize_t n = ::read(d.from, buffer, sizeof buffer);
    if (n > 0) {
      d.queue.push_back({Clock::now() + one_way, std::string(buffer, static_cast<std::size_t>(n))});
      d.buffered += static_cast<std::size_t>(n);
    } else if (n == 0) {
      d.read_closed = true;
      d.queue.push_back({Clock::now() + one_way, {}, true});
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      owner_of(d).broken = true;
    }
  }

  void release_due(Direction& d, Clock::time_point now) {
    while (!d.queue.empty() && d.queue.front().due <= now) {
      auto& chunk = d.queue.front();
      if (chunk.end) {
        if (!d.out.empty()) return;  // the end passes only after every byte
        ::shutdown(d.to, SHUT_WR);
        d.write_closed = true;
      } else {
        d.out += chunk.bytes;
      }
      d.queue.pop_front();
    }
  }

  void write_out(Direction& d) {
    while (!d.out.empty()) {
      ssize_t n = ::send(d.to, d.out.data(), d.out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        d.out.erase(0, static_cast<std::size_t>(n));
        d.buffered -= std::min(d.buffered, static_cast<std::size_t>(n));
      } else {
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
          owner_of(d).broken = true;
        return;
      }
    }
  }

  static void close_connection(Connection& c) {
    if (c.up.from >= 0) ::close(c.up.from);
    if (c.up.to >= 0) ::close(c.up.to);
    c.up.from = c.up.to = c.down.from = c.down.to = -1;
  }
};

DelayProxy::DelayProxy(std::string target_host, int target_port,
                       std::chrono::microseconds added_round_trip)
    : impl_(std::make_unique<Impl>()) {
  if (added_round_trip.count() < 0)
    throw std::invalid_argument("DelayProxy: the added round trip cannot be negative");
  impl_->host = std::move(target_host);
  impl_->target_port = target_port;
  impl_->round_trip = added_round_trip;
  impl_->one_way = std::chrono::duration_cast<Clock::duration>(added_round_trip) / 2;

  impl_->listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (impl_->listener < 0) throw failure("cannot create a socket");
  int on = 1;
  ::setsockopt(impl_->listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(impl_->listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(impl_->listener, 64) != 0 ||
      ::getsockname(impl_->listener, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    auto error = failure("cannot listen on 127.0.0.1");
    ::close(impl_->listener);
    throw error;
  }
  impl_->port = ntohs(address.sin_port);
  if (::pipe2(impl_->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    auto error = failure("cannot create its wake-up pipe");
    ::close(impl_->listener);
    throw error;
  }
  set_nonblocking(impl_->listener);
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

DelayProxy::~DelayProxy() {
  impl_->stopping = true;
  char one = 1;
  (void)!::write(impl_->wake[1], &one, 1);
  impl_->thread.join();
  ::close(impl_->listener);
  ::close(impl_->wake[0]);
  ::close(impl_->wake[1]);
}

int DelayProxy::port() const { return impl_->port; }
std::chrono::microseconds DelayProxy::added_round_trip() const { return impl_->round_trip; }
long long DelayProxy::connections() const { return impl_->accepted; }

}  // namespace wb
