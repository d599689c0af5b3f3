// Lesson 14 - your code goes here. Replace each WB_TODO line with the real
// thing; `make test-14` tells you what works so far. The contract of every
// function is in pipelining.hpp.
#include "pipelining.hpp"

#include <stdexcept>

#include "workbook/exercise.hpp"

namespace pipelining {

std::vector<std::optional<std::string>> load_many(wb::Valkey& client, std::string_view prefix,
                                                  const std::vector<std::string>& ids,
                                                  milliseconds ttl, const BatchLoader& load) {
  WB_TODO("task 1 (load_many)", client, prefix, ids, ttl, load);
}

void bulk_import(wb::Valkey& client, std::string_view prefix, const std::vector<Row>& rows,
                 milliseconds ttl, std::size_t batch_size) {
  WB_TODO("task 2 (bulk_import)", client, prefix, rows, ttl, batch_size);
}

void write_together(wb::Valkey& client, std::string_view prefix, const std::vector<Row>& rows,
                    milliseconds ttl) {
  WB_TODO("task 3 (write_together)", client, prefix, rows, ttl);
}

}  // namespace pipelining
