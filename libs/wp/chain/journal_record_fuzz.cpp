// libFuzzer target for the TxManager journal record parser (tx_journal.hpp: parse_journal_record, every kind:
// signed, confirmed, released, intent, failed). A journal file is read back after a crash, possibly torn or
// corrupted by the disk: its parser must never crash and must be strict.
//
// Properties checked on every input s:
//  - parse_journal_record(s) never crashes; a failure is Errc::kDecoding with a message starting
//    "journal record: ";
//  - an accepted record writes back (to_json_line) to a line that parses to the same record (one meaning per
//    record), and writing that one again gives the same line (to_json_line is a fixed point after one pass);
//  - an accepted kSigned record has hash == keccak256(raw); an accepted kIntent record has a non-empty key; an
//    accepted kConfirmed record with a reason has a non-empty one.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <wp/core/keccak.hpp>

#include "tx_journal.hpp"

namespace {

void fail(const char* what, std::size_t size) {
    std::fprintf(stderr, "journal_record_fuzz: %s (input %zu bytes)\n", what, size);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using wp::chain::JournalRecord;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto parsed = wp::chain::parse_journal_record(input);
    if (!parsed) {
        if (parsed.error().code != wp::Errc::kDecoding) fail("error code is not kDecoding", size);
        if (!parsed.error().message.starts_with("journal record: ")) fail("error message has no prefix", size);
        return 0;
    }
    const JournalRecord& r = *parsed;
    if (r.kind == JournalRecord::Kind::kSigned && wp::keccak256(r.raw) != r.hash) fail("hash != keccak256(raw)", size);
    if (r.kind == JournalRecord::Kind::kIntent && r.key.empty()) fail("intent with an empty key", size);
    if (r.kind == JournalRecord::Kind::kConfirmed && input.find("\"reason\"") != std::string_view::npos &&
        r.reason.empty()) {
        fail("confirmed with an empty reason", size);
    }
    const std::string line = wp::chain::to_json_line(r);
    auto again = wp::chain::parse_journal_record(line);
    if (!again) fail("the written line does not parse", size);
    if (!(*again == r)) fail("the written line parses to another record", size);
    if (wp::chain::to_json_line(*again) != line) fail("to_json_line is not a fixed point", size);
    return 0;
}
