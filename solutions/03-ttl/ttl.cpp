// Lesson 03 - reference solution.
#include "ttl.hpp"

#include <openssl/rand.h>

#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace ttl {

namespace {

void require_positive(milliseconds ttl, const char* who) {
  if (ttl.count() <= 0)
    throw std::invalid_argument(std::string(who) + ": the ttl must be positive, got " +
                                std::to_string(ttl.count()) + " ms");
}

// Compare-and-delete, atomic because a script runs with nothing in between:
// of two callers bringing the right code, only the first finds it.
constexpr const char* take_if_equal = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
)lua";

}  // namespace

void cache_for(wb::Valkey& client, std::string_view key, std::string_view value, milliseconds ttl) {
  require_positive(ttl, "cache_for");
  // SET key value PX ttl: value and expiry arrive together.
  client.set(key, value, ttl);
}

TimeLeft time_left(wb::Valkey& client, std::string_view key) {
  long long pttl = client.pttl(key);
  if (pttl == -2) return {TimeLeft::Kind::no_such_key, milliseconds(0)};
  if (pttl == -1) return {TimeLeft::Kind::never_expires, milliseconds(0)};
  return {TimeLeft::Kind::expires, milliseconds(pttl)};
}

bool extend_ttl(wb::Valkey& client, std::string_view key, milliseconds ttl) {
  require_positive(ttl, "extend_ttl");
  // GT: only when the new expiry is later than the current one. A key without
  // expiry counts as "expires never", which nothing is later than.
  return client.command<long long>("PEXPIRE", key, ttl.count(), "GT") == 1;
}

bool replace_keeping_ttl(wb::Valkey& client, std::string_view key, std::string_view value) {
  // SET key value KEEPTTL XX: keep the expiry; only if the key exists.
  return client.set(key, value, /*keepttl=*/true, wb::UpdateType::EXIST);
}

std::string new_otp_code() {
  // 4 random bytes give 0 .. 4294967295. Taking that modulo 1000000 would
  // favour the low codes slightly (4294967296 is not a multiple of 1000000),
  // so values from 4294000000 up are drawn again.
  constexpr std::uint32_t limit = 4294u * 1000000u;
  std::uint32_t n = 0;
  do {
    unsigned char bytes[4];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
      throw std::runtime_error("new_otp_code: the random source failed");
    n = static_cast<std::uint32_t>(bytes[0]) << 24 | static_cast<std::uint32_t>(bytes[1]) << 16 |
        static_cast<std::uint32_t>(bytes[2]) << 8 | static_cast<std::uint32_t>(bytes[3]);
  } while (n >= limit);
  char code[7];
  std::snprintf(code, sizeof code, "%06u", static_cast<unsigned>(n % 1000000u));
  return code;  // "%06u": 42 is "000042", so every code has 6 digits
}

std::optional<std::string> issue_otp(wb::Valkey& client, std::string_view key, milliseconds ttl) {
  require_positive(ttl, "issue_otp");
  std::string code = new_otp_code();
  // SET key code PX ttl NX: stored with its expiry only if no code is active.
  if (!client.set(key, code, ttl, wb::UpdateType::NOT_EXIST)) return std::nullopt;
  return code;
}

bool verify_otp(wb::Valkey& client, std::string_view key, std::string_view code) {
  return client.eval<long long>(take_if_equal, {key}, {code}) == 1;
}

}  // namespace ttl
