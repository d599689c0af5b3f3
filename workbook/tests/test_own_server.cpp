// wb::OwnServer: a real server process of the test's own, started, configured,
// killed, restarted and cleaned up.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "support.hpp"
#include "workbook/grading.hpp"
#include "workbook/own_server.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
using wb_test::contains;
using wb_test::EnvGuard;
using wb_test::thrown_by;
namespace fs = std::filesystem;

namespace {

wb::Valkey client_of(const wb::OwnServer& server) {
  wb::ConnectionOptions o = wb::ConnectionOptions::from_url(server.url());
  o.connect_timeout = 500ms;
  return wb::Valkey(o);
}

bool answers(int port) {
  try {
    wb::ConnectionOptions o;
    o.port = port;
    o.connect_timeout = 300ms;
    o.socket_timeout = 300ms;
    wb::Valkey(o).ping();
    return true;
  } catch (const wb::Error&) {
    return false;
  }
}

std::string config_get(wb::Valkey& client, const std::string& name) {
  auto reply = client.command<std::vector<std::string>>("CONFIG", "GET", name);
  return reply.size() == 2 ? reply[1] : "(not one value)";
}

bool installed(const std::string& name) {
  for (const char* folder : {"/usr/bin", "/usr/sbin", "/usr/local/bin"})
    if (::access((std::string(folder) + "/" + name).c_str(), X_OK) == 0) return true;
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace

TEST_CASE("OwnServer starts a server that answers on 127.0.0.1, in a folder of its own") {
  wb::OwnServer server;
  auto client = client_of(server);
  CHECK(client.ping() == "PONG");
  CHECK(server.port() > 0);
  CHECK(server.url() == "redis://127.0.0.1:" + std::to_string(server.port()));
  CHECK(fs::is_directory(server.folder()));
  CHECK(config_get(client, "dir") == fs::canonical(server.folder()).string());
  CHECK(config_get(client, "bind").find("127.0.0.1") == 0);
  CHECK(server.running());
  INFO("name_and_version: " << server.name_and_version());
  std::string expected = client.server_name() + " " + client.server_version();
  CHECK(server.name_and_version() == expected);
  CHECK((server.name_and_version().rfind("valkey ", 0) == 0 ||
         server.name_and_version().rfind("redis ", 0) == 0));
}

TEST_CASE("OwnServer persists nothing unless asked, and applies the configuration it is given") {
  wb::OwnServer plain;
  auto p = client_of(plain);
  CHECK(config_get(p, "save").empty());
  CHECK(config_get(p, "appendonly") == "no");
  CHECK(config_get(p, "maxmemory") == "0");

  wb::OwnServer limited({{"maxmemory", "3mb"}, {"maxmemory-policy", "allkeys-lfu"}});
  auto l = client_of(limited);
  CHECK(config_get(l, "maxmemory") == std::to_string(3 * 1024 * 1024));
  CHECK(config_get(l, "maxmemory-policy") == "allkeys-lfu");
  CHECK(plain.port() != limited.port());
}

TEST_CASE("OwnServer's destructor stops the server and removes its folder") {
  std::string folder;
  int port = 0;
  {
    wb::OwnServer server;
    folder = server.folder();
    port = server.port();
    client_of(server).set("k", "v");
    REQUIRE(answers(port));
  }
  CHECK_FALSE(answers(port));
  CHECK_FALSE(fs::exists(folder));
}

TEST_CASE(
    "OwnServer::kill is a crash; restart comes back on the same port, empty without persistence") {
  wb::OwnServer server;
  int port = server.port();
  client_of(server).set("k", "v");
  server.kill();
  CHECK_FALSE(server.running());
  CHECK_FALSE(answers(port));
  server.restart();
  CHECK(server.running());
  CHECK(server.port() == port);
  auto client = client_of(server);
  CHECK(client.ping() == "PONG");
  CHECK(client.get("k") == std::nullopt);
}

TEST_CASE("OwnServer with an append-only file keeps what was written across kill and restart") {
  wb::OwnServer server({{"appendonly", "yes"}, {"appendfsync", "always"}});
  client_of(server).set("k", "kept");
  server.kill();
  server.restart();
  CHECK(client_of(server).get("k") == "kept"s);
}

TEST_CASE("OwnServer::restart of a running server stops it gracefully first") {
  wb::OwnServer server({{"save", "3600 1"}});
  client_of(server).set("k", "saved on shutdown");
  server.restart();
  // SIGTERM makes a server with a save point write its snapshot before it
  // exits; the restarted one loads it.
  CHECK(client_of(server).get("k") == "saved on shutdown"s);
}

TEST_CASE("OwnServer reports a configuration the server refuses, with its log, and cleans up") {
  auto thrown = thrown_by([] { wb::OwnServer server({{"maxmemory-policy", "sometimes"}}); });
  INFO(thrown.what);
  CHECK(thrown.type == "std::exception");
  CHECK(contains(thrown.what, "exited while starting"));
  CHECK(contains(thrown.what, "maxmemory-policy"));
  // The folder named in the message is gone.
  auto at = thrown.what.find("wb-own-server-");
  REQUIRE(at != std::string::npos);
  auto start = thrown.what.rfind(' ', at) + 1;
  auto end = thrown.what.find("/server.log", at);
  CHECK_FALSE(fs::exists(thrown.what.substr(start, end - start)));
}

TEST_CASE("OwnServer refuses the settings that are its own to choose") {
  CHECK(thrown_by([] { wb::OwnServer s({{"port", "6379"}}); }).type == "std::invalid_argument");
  CHECK(thrown_by([] {
          wb::OwnServer s({{"--maxmemory", "1mb"}});
        }).type == "std::invalid_argument");
}

TEST_CASE("OwnServer names a WORKBOOK_SERVER_BIN that does not exist") {
  EnvGuard guard("WORKBOOK_SERVER_BIN", "no-such-server-program");
  auto thrown = thrown_by([] { wb::OwnServer server; });
  INFO(thrown.what);
  CHECK(contains(thrown.what, "WORKBOOK_SERVER_BIN"));
  CHECK(contains(thrown.what, "no-such-server-program"));
}

TEST_CASE("OwnServer runs the program WORKBOOK_SERVER_BIN names") {
  for (std::string program : {"valkey-server", "redis-server"}) {
    EnvGuard guard("WORKBOOK_SERVER_BIN", program.c_str());
    std::string name = program.substr(0, program.find('-'));
    if (installed(program)) {
      wb::OwnServer server;
      CHECK(server.name_and_version().rfind(name + " ", 0) == 0);
    } else {
      auto thrown = thrown_by([] { wb::OwnServer server; });
      CHECK(contains(thrown.what, program));
    }
  }
}

TEST_CASE("OwnServer gives up on a server that does not answer within the time limit") {
  // A "server" that runs and never listens.
  fs::path script = fs::temp_directory_path() / ("wb-silent-" + wb::grading::random_hex(4));
  {
    std::ofstream out(script);
    out << "#!/bin/sh\nexec sleep 30\n";
  }
  fs::permissions(script, fs::perms::owner_all);
  EnvGuard program("WORKBOOK_SERVER_BIN", script.c_str());
  EnvGuard limit("WORKBOOK_SERVER_START_LIMIT_MS", "400");
  auto thrown = thrown_by([] { wb::OwnServer server; });
  fs::remove(script);
  INFO(thrown.what);
  CHECK(contains(thrown.what, "did not answer within 400 ms"));
}

TEST_CASE("OwnServer::restart says so when another program took the port meanwhile") {
  wb::OwnServer server;
  server.kill();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(server.port()));
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  auto thrown = thrown_by([&] { server.restart(); });
  ::close(fd);
  INFO(thrown.what);
  CHECK(contains(thrown.what, "another program took it"));
  CHECK_FALSE(server.running());
  server.restart();  // free again
  CHECK(client_of(server).ping() == "PONG");
}

TEST_CASE("OwnServer outlives the thread that started it, and moves") {
  std::optional<wb::OwnServer> held;
  std::thread([&] { held.emplace(); }).join();
  REQUIRE(held);
  CHECK(client_of(*held).ping() == "PONG");
  int port = held->port();

  wb::OwnServer moved(std::move(*held));
  CHECK(moved.port() == port);
  CHECK(client_of(moved).ping() == "PONG");
  CHECK(thrown_by([&] { (void)held->url(); }).type == "std::logic_error");
  held.reset();  // a moved-from server stops nothing
  CHECK(answers(port));

  wb::OwnServer other;
  int other_port = other.port();
  other = std::move(moved);  // the server `other` held is stopped
  CHECK_FALSE(answers(other_port));
  CHECK(other.port() == port);
  CHECK(answers(port));
}

TEST_CASE("OwnServer removes the folder a killed owner left behind, and only that one") {
  fs::path parent = fs::temp_directory_path() / ("wb-sweep-" + wb::grading::random_hex(4));
  fs::create_directories(parent);
  EnvGuard tmpdir("TMPDIR", parent.c_str());
  // A pid that has just ended: a child that exits at once.
  pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  fs::path abandoned = parent / "wb-own-server-abandoned";
  fs::path alive = parent / "wb-own-server-alive";
  fs::path other = parent / "someone-elses";
  for (const auto& [folder, owner] :
       {std::pair{abandoned, dead}, {alive, ::getpid()}, {other, dead}}) {
    fs::create_directories(folder);
    std::ofstream(folder / "owner") << owner << "\n";
  }
  {
    wb::OwnServer server;
    CHECK(fs::path(server.folder()).parent_path() == parent);
    CHECK_FALSE(fs::exists(abandoned));
    CHECK(fs::exists(alive));
    CHECK(fs::exists(other));
  }
  fs::remove_all(parent);
}

TEST_CASE("own_servers_like picks the program of the server it is given, unless one is set") {
  auto client = wb::grading::connect();
  std::string kind = client.server_name();
  {
    EnvGuard unset("WORKBOOK_SERVER_BIN", nullptr);
    std::string chosen = wb::own_servers_like(client);
    if (installed(kind + "-server")) {
      CHECK(chosen == kind + "-server");
      CHECK(std::string(std::getenv("WORKBOOK_SERVER_BIN")) == kind + "-server");
      wb::OwnServer server;
      CHECK(server.name_and_version().rfind(kind + " ", 0) == 0);
    } else {
      CHECK(chosen.empty());
      CHECK(std::getenv("WORKBOOK_SERVER_BIN") == nullptr);
    }
  }
  EnvGuard set("WORKBOOK_SERVER_BIN", "/somewhere/else-server");
  CHECK(wb::own_servers_like(client) == "/somewhere/else-server");
}
