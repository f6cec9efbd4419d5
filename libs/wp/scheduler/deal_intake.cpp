#include "deal_intake.hpp"

#include <algorithm>
#include <string_view>

#include <boost/json.hpp>

#include <wp/core/hex.hpp>

namespace wp::scheduler {
namespace ev = chain::events;
namespace {

constexpr std::string_view kIntakeEvents[] = {"SchedulerNotice", "TaskInitialize", "TaskContribute", "TaskConsensus",
                                              "TaskReveal",      "TaskReopen",     "TaskFinalize",   "TaskClaimed"};

std::uint64_t u64(const U256& v) { return v.fits_u64() ? v.low_u64() : ~std::uint64_t{0}; }

//! A multiaddr as text: UTF-8 without control characters as is (docker images, URLs), else its hex.
std::string multiaddr_text(const Bytes& b) {
    const bool text = std::all_of(b.begin(), b.end(), [](std::uint8_t c) { return c >= 0x20 && c != 0x7f; });
    if (text) return std::string(b.begin(), b.end());
    return to_hex(b);
}

bool is_task_event(const chain::PocoEvent& e) {
    return std::holds_alternative<ev::TaskInitialize>(e) || std::holds_alternative<ev::TaskContribute>(e) ||
           std::holds_alternative<ev::TaskConsensus>(e) || std::holds_alternative<ev::TaskReveal>(e) ||
           std::holds_alternative<ev::TaskReopen>(e) || std::holds_alternative<ev::TaskFinalize>(e) ||
           std::holds_alternative<ev::TaskClaimed>(e);
}

}  // namespace

chain::MirrorOptions intake_mirror_options(const DealIntakeOptions& options) {
    chain::MirrorOptions o;
    o.name = "core:" + std::to_string(options.chain_id) + ":" + options.hub.to_lower_hex() + ":" +
             options.workerpool.to_lower_hex();
    o.start_block = options.start_block;
    o.feed.addresses = {options.hub};
    o.feed.confirmations = options.confirmations;
    o.feed.max_block_range = options.max_block_range;
    std::vector<Bytes32> topics;
    for (const auto& spec : chain::poco_event_specs()) {
        if (std::find(std::begin(kIntakeEvents), std::end(kIntakeEvents), spec.name) == std::end(kIntakeEvents))
            continue;
        if (std::find(topics.begin(), topics.end(), spec.topic0) == topics.end()) topics.push_back(spec.topic0);
    }
    o.feed.topics = {std::optional<std::vector<Bytes32>>(std::move(topics))};
    return o;
}

DealRecord deal_record(const Bytes32& deal_id, const Deal& deal, const AppInfo& app,
                       const std::optional<DatasetInfo>& dataset, const Category& category, std::int64_t now_s,
                       std::uint64_t block_number) {
    DealRecord r;
    r.deal_id = deal_id;
    r.app = deal.app.pointer;
    r.dataset = deal.dataset.pointer;
    r.workerpool = deal.workerpool.pointer;
    r.requester = deal.requester;
    r.callback = deal.callback;
    r.category = u64(deal.category);
    r.category_seconds = u64(category.work_clock_time_ref);
    r.tag = deal.tag;
    r.trust = u64(deal.trust);
    r.bot_first = u64(deal.bot_first);
    r.bot_size = u64(deal.bot_size);
    const auto start = static_cast<std::int64_t>(std::min<std::uint64_t>(u64(deal.start_time), 1ULL << 40));
    const auto t = static_cast<std::int64_t>(std::min<std::uint64_t>(r.category_seconds, 1ULL << 30));
    r.start_time = start;
    r.contribution_deadline = start + static_cast<std::int64_t>(kContributionDeadlineRatio) * t;
    r.final_deadline = start + static_cast<std::int64_t>(kFinalDeadlineRatio) * t;
    r.app_uri = multiaddr_text(app.app_multiaddr);
    r.app_checksum = app.app_checksum;
    r.app_type = app.app_type;
    if (dataset) {
        r.dataset_uri = multiaddr_text(dataset->dataset_multiaddr);
        r.dataset_checksum = dataset->dataset_checksum;
    }
    boost::system::error_code ec;
    const auto params = boost::json::parse(deal.params, ec);
    if (!ec && params.is_object()) {
        const auto& o = params.as_object();
        if (const auto* a = o.if_contains("iexec_args"); a && a->is_string())
            r.iexec_args = std::string(a->as_string());
        if (const auto* f = o.if_contains("iexec_input_files"); f && f->is_array())
            for (const auto& v : f->as_array())
                if (v.is_string()) r.input_files.emplace_back(v.as_string());
    }
    r.block_number = block_number;
    const bool tee = (deal.tag.bytes[31] & 0x01) != 0;
    if (tee && r.trust > 1) r.refusal = "TEE deal with trust " + std::to_string(r.trust) + " > 1";
    else if (r.category_seconds == 0) r.refusal = "category " + std::to_string(r.category) + " has no workClockTimeRef";
    else if (now_s >= r.contribution_deadline) r.refusal = "contribution deadline passed";
    return r;
}

DealIntake::DealIntake(chain::Hub& hub, SchedulerStore& store, Clock& clock, DealIntakeOptions options)
    : hub_(hub), store_(store), clock_(clock), options_(std::move(options)) {}

Result<void> DealIntake::prepare(const chain::FeedBatch& batch) {
    prepared_.clear();
    batch_observations_.clear();
    std::vector<Bytes32> ids;
    std::map<Bytes32, std::uint64_t> blocks;
    for (const auto& log : batch.logs) {
        auto event = chain::decode_poco_event(log);
        if (!event) continue;
        const auto* notice = std::get_if<ev::SchedulerNotice>(&*event);
        if (notice == nullptr || notice->workerpool != options_.workerpool) continue;
        if (blocks.emplace(notice->deal_id, log.block_number).second) ids.push_back(notice->deal_id);
    }
    if (ids.empty()) return {};
    const auto deals = hub_.view_deals(ids);
    const std::int64_t now_s = clock_.unix_ms() / 1000;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (!deals[i]) return make_error(deals[i].error().to_error());
        const Deal& deal = *deals[i];
        // A deal no longer on chain (reorged away before we read it) or of another pool: nothing to take.
        if (deal.workerpool.pointer != options_.workerpool || deal.bot_size.is_zero()) continue;
        if (!apps_.contains(deal.app.pointer)) {
            WP_TRY(auto app, hub_.app_entry(deal.app.pointer));
            apps_.emplace(deal.app.pointer, std::move(app));
        }
        std::optional<DatasetInfo> dataset;
        if (!deal.dataset.pointer.is_zero()) {
            if (!datasets_.contains(deal.dataset.pointer)) {
                WP_TRY(auto d, hub_.dataset_entry(deal.dataset.pointer));
                datasets_.emplace(deal.dataset.pointer, std::move(d));
            }
            dataset = datasets_.at(deal.dataset.pointer);
        }
        const std::uint64_t cat = u64(deal.category);
        if (!categories_.contains(cat)) {
            WP_TRY(auto c, hub_.view_category(deal.category));
            categories_.emplace(cat, std::move(c));
        }
        prepared_.emplace(ids[i], deal_record(ids[i], deal, apps_.at(deal.app.pointer), dataset, categories_.at(cat),
                                              now_s, blocks.at(ids[i])));
    }
    return {};
}

Result<void> DealIntake::apply(chain::MirrorContext& ctx, const chain::Log& log, const chain::PocoEvent* event) {
    (void)log;
    if (event == nullptr) return {};
    if (const auto* notice = std::get_if<ev::SchedulerNotice>(event)) {
        if (notice->workerpool != options_.workerpool) return {};
        auto it = prepared_.find(notice->deal_id);
        if (it == prepared_.end()) return {};
        WP_TRY(bool inserted, store_.insert_deal(ctx.tx(), it->second, clock_.unix_ms()));
        if (inserted) {
            ++deals_received_;
            WP_TRY_VOID(ctx.undo("DELETE FROM sched_tasks WHERE deal_id = $1", notice->deal_id));
            WP_TRY_VOID(ctx.undo("DELETE FROM sched_deals WHERE deal_id = $1", notice->deal_id));
        }
        return {};
    }
    if (is_task_event(*event)) batch_observations_.push_back(TaskObservation{*event, ctx.block()});
    return {};
}

Result<void> DealIntake::batch_applied(store::Tx& tx, const chain::FeedBatch& batch) {
    (void)tx;
    (void)batch;
    // The batch commits right after this (or fails: then the same blocks are read again and these are rebuilt).
    std::lock_guard lock(observations_mutex_);
    for (auto& o : batch_observations_) observations_.push_back(std::move(o));
    batch_observations_.clear();
    return {};
}

std::vector<TaskObservation> DealIntake::take_observations() {
    std::lock_guard lock(observations_mutex_);
    std::vector<TaskObservation> out;
    out.swap(observations_);
    return out;
}

}  // namespace wp::scheduler
