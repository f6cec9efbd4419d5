// The CPU cost of sending one transaction without the network: signing + encoding (type 2, a transfer and a
// 1 KiB call), the journal record (JSON line out and back), and a durable journal append (one fsync per batch).

#include <benchmark/benchmark.h>

#include <filesystem>

#include <wp/chain/signing.hpp>
#include <wp/chain/tx_journal.hpp>
#include <wp/core/keccak.hpp>

namespace {

using namespace wp;

const PrivateKey& key() {
    static const PrivateKey k =
        PrivateKey::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80").value();
    return k;
}

chain::FeeParams fees() {
    chain::FeeParams f;
    f.type = TxType::kDynamicFee;
    f.max_fee_per_gas = U256(3'000'000'000u);
    f.max_priority_fee_per_gas = U256(1'000'000'000u);
    return f;
}

void sign(benchmark::State& state, std::size_t data_size) {
    chain::TxRequest request{Address::parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8").value(),
                             Bytes(data_size, 0xab), U256(1u), 200000, "bench"};
    std::uint64_t nonce = 0;
    for (auto _ : state) {
        auto tx = chain::sign_transaction(request, key(), 31337, nonce++, fees());
        benchmark::DoNotOptimize(tx);
    }
}

void BM_SignTransfer(benchmark::State& state) { sign(state, 0); }
BENCHMARK(BM_SignTransfer);

void BM_SignCall1KiB(benchmark::State& state) { sign(state, 1024); }
BENCHMARK(BM_SignCall1KiB);

chain::JournalRecord sample_record(std::uint64_t id) {
    chain::JournalRecord r;
    r.kind = chain::JournalRecord::Kind::kSigned;
    r.chain_id = 31337;
    r.from = key().address();
    r.id = id;
    r.nonce = id;
    r.raw = Bytes(700, 0xcd);
    r.hash = keccak256(r.raw);
    r.description = "matchOrders";
    return r;
}

void BM_JournalLineRoundTrip(benchmark::State& state) {
    const auto record = sample_record(1);
    for (auto _ : state) {
        auto back = chain::parse_journal_record(chain::to_json_line(record));
        benchmark::DoNotOptimize(back);
    }
}
BENCHMARK(BM_JournalLineRoundTrip);

// Records per append: 1 (one fsync per transaction) or 100 (one fsync per round of 100 new transactions).
void BM_FileJournalAppend(benchmark::State& state) {
    const auto path = std::filesystem::temp_directory_path() / "wp_bench_tx_journal.jsonl";
    std::filesystem::remove(path);
    auto journal = chain::FileTxJournal::open(path).value();
    std::vector<chain::JournalRecord> batch;
    for (std::int64_t i = 0; i < state.range(0); ++i) batch.push_back(sample_record(static_cast<std::uint64_t>(i)));
    for (auto _ : state) {
        auto ok = journal->append(batch);
        benchmark::DoNotOptimize(ok);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    journal.reset();
    std::filesystem::remove(path);
}
BENCHMARK(BM_FileJournalAppend)->Arg(1)->Arg(100);

}  // namespace
