// Batch statements whose texts stay few. A connection prepares each distinct statement text once and keeps
// 128 (db.h), and a batch statement written out per row (an IN list, ORed keys, CASE arms, VALUES rows) is a
// new text for every batch size: under a group commit at 64 callers the sizes from 1 to 128 evicted each
// other, and most batches prepared their statements afresh (the allowance's payments at 64: 9% of the
// service's CPU in Session::Prepare and a parse in MariaDB for each; issue 11). Lists are padded to the next
// power of two by repeating their last entry, which changes nothing an IN list, ORed keys or CASE arms mean;
// a multi-row INSERT, which cannot repeat a row, is split into chunks of power-of-two sizes. A kind of
// statement then has at most eight texts up to 128 rows.
#ifndef SHOUHU_COMMON_BATCH_STATEMENTS_H_
#define SHOUHU_COMMON_BATCH_STATEMENTS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/db.h"

namespace shouhu::db {

// The power of two at or above `n` (1 for 0): how many entries a list of `n` is padded to.
size_t PaddedCount(size_t n);

// `entry` PaddedCount(n) times, joined by `separator`: "?, ?, ?, ?" for an IN list of three.
std::string PaddedList(absl::string_view entry, absl::string_view separator, size_t n);

// Extends `params`, whose tail from `from` holds `n` entries of `width` values each, to PaddedCount(n)
// entries by repeating the last entry. Nothing happens for n = 0.
void PadEntries(std::vector<Value>& params, size_t from, size_t width, size_t n);

// Inserts rows: `head` is the statement up to its rows ("INSERT INTO t (a, b) VALUES "), `tuple` one row's
// placeholders ("(?, ?)"), `params` the rows' values, `width` to a row. Runs one statement per power-of-two
// chunk of at most 256 rows (a batch of 37 rows: 32, 4 and 1), in the rows' order. Returns the rows inserted;
// the first failing chunk's error otherwise (inside a transaction, which then rolls back whole). `tail`
// follows each statement's rows (" ON DUPLICATE KEY UPDATE n = n + VALUES(n)" for an upsert of counts).
absl::StatusOr<uint64_t> InsertRows(Session& tx, absl::string_view head, absl::string_view tuple,
                                    size_t width, const std::vector<Value>& params,
                                    absl::string_view tail = "");

}  // namespace shouhu::db

#endif  // SHOUHU_COMMON_BATCH_STATEMENTS_H_
