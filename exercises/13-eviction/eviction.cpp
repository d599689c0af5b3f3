// Lesson 13 - your code goes here. Replace each WB_TODO line with the real
// thing; `make test-13` tells you what works so far. The contract of every
// function is in eviction.hpp.
#include "eviction.hpp"

#include <stdexcept>

#include "workbook/exercise.hpp"

namespace eviction {

std::string read_through(wb::Valkey& client, std::string_view key, milliseconds ttl,
                         const std::function<std::string()>& load, CacheCounters& counters) {
  WB_TODO("task 1 (read_through)", client, key, ttl, load, counters);
}

MemoryReport memory_report(wb::Valkey& client) { WB_TODO("task 2 (memory_report)", client); }

std::string choose_policy(const Workload& w) { WB_TODO("task 3 (choose_policy)", w); }

}  // namespace eviction
