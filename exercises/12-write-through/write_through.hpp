// Lesson 12 - Write-through and write-behind: the contract of the exercise.
//
// Write the functions in write_through.cpp. `make test-12` grades them against
// a real Valkey server and a real PostgreSQL database; the lesson is
// lessons/12-write-through/README.md.
//
// Two kinds of writes to the Staff database, two patterns:
//   - a rename is rare and must not be lost: WRITE-THROUGH, the database
//     first, then the cached copy, in the same call (task 1);
//   - a status ("in the office", "working from home", ...) changes often and
//     a change may wait a moment: WRITE-BEHIND, the change lands in Valkey
//     (task 2) and a worker writes it to the database later, in batches
//     (task 3).
//
// The database (the grader gives each test a schema of its own holding these;
// unqualified names resolve there):
//   employees (id integer PRIMARY KEY, name text NOT NULL)     the Staff table
//   name_versions                                              a sequence
//   employee_status (employee_id integer PRIMARY KEY REFERENCES employees (id),
//                    status text NOT NULL, version bigint NOT NULL)
//
// Every cache key starts with the prefix the caller gives you (Staff::prefix),
// followed by one of:
//   employee:<id>                    a hash {name, version}: the name, written
//                                    through by rename_employee, for name_ttl
//   status:<id>                      a hash {status, version}: the newest
//                                    status, written by record_change, for
//                                    status_ttl
//   writebehind:version              the counter that numbers the changes
//   writebehind:queue                a list of changes not taken yet: the
//                                    newest at the head (left), the oldest at
//                                    the tail (right)
//   writebehind:processing:<worker>  a list: the batch worker <worker> took
//                                    and has not finished
//   writebehind:dead                 a list: entries that could not be read
// A change in these lists is the text "<version>:<id>:<status>", for example
// "17:3:working from home" (the status may itself contain colons).
//
// SQL: parameters ($1, $2, ...) only, never a value pasted into the SQL text.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "workbook/postgres.hpp"
#include "workbook/valkey.hpp"

namespace write_through {

// How long each cached copy may live.
inline constexpr std::chrono::seconds name_ttl{30};
inline constexpr std::chrono::seconds status_ttl{300};

// The longest status record_change accepts, in bytes.
inline constexpr std::size_t max_status_bytes = 100;

// True when `text` can be stored in a PostgreSQL text column as it is: valid
// UTF-8 with no NUL byte. (Given, not an exercise: libpq cuts a value at its
// first NUL byte without a word, and the database refuses bytes that are not
// UTF-8, so a name or status that fails this must be refused before it is
// sent anywhere.)
inline bool valid_text(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead == 0) return false;
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      code = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      code = lead & 0x0Fu;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      code = lead & 0x07u;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0u) != 0x80u) return false;
      code = (code << 6) | (next & 0x3Fu);
    }
    const bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
    const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
    if (overlong || surrogate || code > 0x10FFFF) return false;
    i += length;
  }
  return true;
}

// Where things live: the database (the truth), the cache, and the prefix
// every cache key starts with (the grader gives each test its own).
struct Staff {
  wb::Database& db;
  wb::Valkey& cache;
  std::string prefix;  // for example "staff:"
};

// Task 1. Rename employee `id`, writing through.
// First the database, in ONE statement: the UPDATE of employees, which also
// returns the rename's version, nextval('name_versions') (drawn while the
// UPDATE holds the row, versions follow the order in which renames of one
// employee commit). Only once that has committed, the cache: employee:<id>
// becomes {name, version} with name_ttl, in one atomic step, unless it
// already holds this version or a higher one (a later rename got there
// first): then it stays as it is. An entry that is not such a hash (another
// type, no version, a version that is not a number) is replaced.
// No such employee: return false and leave the cache alone. If the database
// refuses the rename (the UPDATE fails, or its COMMIT does), let its exception
// through and leave the cache as it was. If the cache cannot be written after
// the commit (a wb::Error: Valkey is down, say), the rename stands: return
// true (the copy it could not replace expires within name_ttl).
// An id below 1, or a name that is empty or not valid_text, is
// std::invalid_argument, before anything is sent.
bool rename_employee(Staff& staff, long long id, std::string_view new_name);

// Task 2. Record that employee `id` now has `status`, writing behind: the
// change goes to Valkey only, and the database gets it later (flush_batch).
// In ONE round trip, as one atomic step (no other client's command can come
// in between): raise writebehind:version by 1 (its new value is the change's
// version; the first change gets 1), push "<version>:<id>:<status>" onto the
// head of writebehind:queue, and make status:<id> exactly {status, version}
// with status_ttl, whatever it held before. Returns the version. The database
// is not touched.
// An id below 1, or a status that is empty, longer than max_status_bytes or
// not valid_text, is std::invalid_argument, before anything is sent.
long long record_change(Staff& staff, long long id, std::string_view status);

// Task 3. One step of the worker named `worker` (names are unique among the
// workers that run). Returns how many entries it finished.
//  - The batch. If writebehind:processing:<worker> holds entries, an earlier
//    run of this worker stopped before finishing them: the batch is all of
//    them, and nothing new is taken. Otherwise take up to `max_changes`
//    entries from the queue, oldest first, each moved into that processing
//    list in one atomic step, so that an entry is always in the queue or in a
//    processing list, never only in this program's memory. Never touch
//    another worker's processing list. Nothing to do: return 0 without
//    touching the database.
//  - The database, in ONE transaction: for each employee, the newest change
//    of the batch only (several changes to one employee make one write),
//    upserted into employee_status (a row inserted, or updated) unless the
//    row already has that version or a higher one: a change delivered twice,
//    or an old one delivered after a newer one, changes nothing. Rows are
//    written in ascending employee id (two workers at once then never
//    deadlock). A change for an employee the database does not have is
//    dropped. An entry that cannot be read (not "<version>:<id>:<status>" with
//    whole numbers from 1 and a status record_change would accept) is not
//    applied: it goes onto writebehind:dead, once.
//  - Only after the COMMIT: empty the processing list. If the database step
//    fails, let its exception through and leave the processing list as it
//    is: this worker's next call finishes that batch.
// Every entry of the batch counts as finished: applied, replaced by a newer
// one, dropped or dead. An empty worker name or a max_changes of 0 is
// std::invalid_argument, before anything is sent.
std::size_t flush_batch(Staff& staff, std::string_view worker, std::size_t max_changes);

}  // namespace write_through
