// Lesson 14 - Pipelining and batching: the contract of the exercise.
//
// Write the functions in pipelining.cpp. `make test-14` grades them against a
// real Valkey server, counting the round trips your code makes from the
// commands it sends; the lesson is lessons/14-pipelining/README.md.
//
// A round trip is one exchange with the server: the client sends, then waits
// for the answers. One command is one round trip; MGET, a pipeline and a
// transaction (MULTI ... EXEC) send many commands in one.
//
// Every key is `prefix` followed by an id: with prefix "product:" the id "42"
// lives under "product:42".
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workbook/valkey.hpp"

namespace pipelining {

using std::chrono::milliseconds;

// The database, as the grader hands it to you: looks up many ids in one query
// and returns the value of each id it has; an id it has no value for is
// absent from the map. Every call is one query: make as few as you can.
using BatchLoader =
    std::function<std::map<std::string, std::string>(const std::vector<std::string>& ids)>;

// Task 1. The values of `ids`, cache-aside, in as few round trips as the data
// allows: ONE round trip reads every key, whatever the number of ids; when
// some are missing, ONE call of `load` gets all the missing ids (each once,
// in the order they first appear in `ids`), and ONE more round trip caches
// the values it found, each with the expiry `ttl`. Nothing is cached for an
// id `load` has no value for, nor for an id that was not asked for.
// The result has one element per element of `ids`, in the same order (an id
// given twice appears twice): the value, or std::nullopt when neither the
// cache nor `load` has one. When nothing is missing, `load` is not called and
// there is no second round trip; an empty `ids` sends nothing.
// An exception from `load` reaches the caller, and nothing is cached.
// An empty id, or a ttl of zero or less, throws std::invalid_argument before
// anything is sent.
std::vector<std::optional<std::string>> load_many(wb::Valkey& client, std::string_view prefix,
                                                  const std::vector<std::string>& ids,
                                                  milliseconds ttl, const BatchLoader& load);

struct Row {
  std::string id;
  std::string value;
};

// Task 2. Write every row (under prefix + id, with the expiry `ttl`) in
// pipelines of at most `batch_size` rows each: every round trip but the last
// carries exactly `batch_size` rows, so a million rows never sit in memory as
// one giant batch, and there are no more round trips than needed. The batches
// are plain pipelines, not transactions: an import must not stop every other
// client while a batch runs. Rows are written in order: when an id comes
// twice, its last value is the one that stays.
// Every reply is checked: when the server refuses a write, throw its
// wb::ReplyError.
// An empty `rows` sends nothing. A batch_size of 0, an empty id, or a ttl of
// zero or less throws std::invalid_argument before anything is sent.
void bulk_import(wb::Valkey& client, std::string_view prefix, const std::vector<Row>& rows,
                 milliseconds ttl, std::size_t batch_size);

// Task 3. Write all `rows` (under prefix + id, each with the expiry `ttl`)
// so that no other client ever sees some of the new values beside old ones,
// nor a new value without its expiry: all of it at once, in ONE round trip.
// An empty `rows` sends nothing. An empty id, or a ttl of zero or less,
// throws std::invalid_argument before anything is sent.
void write_together(wb::Valkey& client, std::string_view prefix, const std::vector<Row>& rows,
                    milliseconds ttl);

}  // namespace pipelining
