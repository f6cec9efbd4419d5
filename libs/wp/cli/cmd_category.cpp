// `iexec category init|create|show|count` (SDK 9.0.1 iexec-category.js, common/protocol/category.js; §4.4).
#include <wp/chain/hub.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>

#include "command.hpp"
#include "resource.hpp"

namespace wp::cli {

namespace json = boost::json;

namespace {

Result<U256> parse_uint(const json::value& v, std::string_view what) {
    if (const auto* s = v.if_string()) {
        auto n = U256::from_dec(*s);
        if (!n)
            return make_error(Errc::kInvalidArgument,
                              std::string(*s) + " is not a valid uint256 (" + std::string(what) + ")");
        return *n;
    }
    if (const auto* i = v.if_int64(); i != nullptr && *i >= 0) return U256(static_cast<std::uint64_t>(*i));
    if (const auto* u = v.if_uint64()) return U256(*u);
    return make_error(Errc::kInvalidArgument, std::string(what) + ": expected a uint256 (decimal string or integer)");
}

}  // namespace

void add_category_commands(Registry& r, Groups& g) {
    {
        CLI::App* l = r.leaf(g.category, "init", "add a default category section to iexec.json", kNoOptions);
        r.action(l, [](Context& ctx) -> Result<Reply> {
            WP_TRY(json::object iexec, ctx.iexec_json());
            json::object section{{"name", "XXL"}, {"description", "new hub category"}, {"workClockTimeRef", "100"}};
            iexec["category"] = section;
            WP_TRY_VOID(ctx.save_iexec_json(iexec));
            Reply reply;
            reply.payload["category"] = section;
            reply.human = ctx.printer().ok_line("Saved default category in \"iexec.json\", you can edit it:\n") +
                          render_human(section);
            return reply;
        });
    }
    {
        CLI::App* l = r.leaf(g.category, "create", "create the category of iexec.json (hub owner only)", kTransaction);
        r.action(l, [](Context& ctx) -> Result<Reply> {
            WP_TRY(json::object iexec, ctx.iexec_json());
            const auto* section = iexec.if_contains("category");
            if (section == nullptr || !section->is_object())
                return make_error(Errc::kInvalidArgument,
                                  "Missing category in \"iexec.json\". Did you forget to run \"iexec category init\"?");
            const auto& cat = section->get_object();
            WP_TRY(std::string name, section_string(cat, "category", "name"));
            WP_TRY(std::string description, section_string(cat, "category", "description"));
            const auto* ref = cat.if_contains("workClockTimeRef");
            if (ref == nullptr)
                return make_error(Errc::kInvalidArgument,
                                  "workClockTimeRef is a required field in category of \"iexec.json\"");
            WP_TRY(U256 work_clock_time_ref, parse_uint(*ref, "category.workClockTimeRef"));
            WP_TRY(chain::Hub * hub, ctx.hub());
            WP_TRY(const PrivateKey* key, ctx.wallet());
            auto owner = hub->hub_owner();
            if (!owner) return make_error(owner.error().to_error());
            if (*owner != key->address())
                return make_error(Errc::kInvalidArgument,
                                  "only category owner " + owner->to_checksum() + " can create new categories");
            auto call = hub->create_category(name, description, work_clock_time_ref);
            if (!call) return make_error(call.error().to_error());
            ctx.printer().start_spinner("Creating category...");
            WP_TRY(SentTx tx, ctx.send(*call));
            static const Bytes32 kCreateCategory =
                keccak256(as_bytes(std::string_view("CreateCategory(uint256,string,string,uint256)")));
            std::optional<U256> catid;
            for (const auto& log : tx.receipt.logs)
                if (log.address == hub->address() && !log.topics.empty() && log.topics[0] == kCreateCategory &&
                    log.data.size() >= 32)
                    catid = U256::from_be(ByteView(log.data.data(), 32)).value_or(U256{});
            if (!catid)
                return make_error(Errc::kDecoding,
                                  "createCategory: no CreateCategory event in the receipt of " + to_hex(tx.hash));
            Reply reply;
            reply.payload["catid"] = catid->to_dec();
            reply.payload["txHash"] = to_hex(tx.hash);
            reply.human = ctx.printer().ok_line("New category created with catid " + catid->to_dec());
            return reply;
        });
    }
    {
        auto& index = r.keep<std::string>();
        CLI::App* l = r.leaf(g.category, "show", "show a category", kChainOption);
        l->add_option("index", index, "category index")->required();
        r.action(l, [&index](Context& ctx) -> Result<Reply> {
            auto n = U256::from_dec(index);
            if (!n) return make_error(Errc::kInvalidArgument, index + " is not a valid uint256");
            WP_TRY(const chain::ResolvedChain* c, ctx.chain());
            WP_TRY(chain::Hub * hub, ctx.hub());
            auto count = hub->count_category();
            if (!count) return make_error(count.error().to_error());
            if (*n >= *count)
                return make_error(Errc::kInvalidArgument, "No category found for id " + n->to_dec() + " on chain " +
                                                              std::to_string(c->id) + " (the hub has " +
                                                              count->to_dec() + " categories)");
            auto category = hub->view_category(*n);
            if (!category) return make_error(category.error().to_error());
            json::object cat{{"name", category->name},
                             {"description", category->description},
                             {"workClockTimeRef", category->work_clock_time_ref.to_dec()}};
            Reply reply;
            reply.payload["index"] = index;
            reply.payload["category"] = cat;
            reply.human = ctx.printer().ok_line("Category at index " + index + " details:\n") + render_human(cat);
            return reply;
        });
    }
    {
        CLI::App* l = r.leaf(g.category, "count", "count the hub's categories", kChainOption);
        r.action(l, [](Context& ctx) -> Result<Reply> {
            WP_TRY(chain::Hub * hub, ctx.hub());
            auto count = hub->count_category();
            if (!count) return make_error(count.error().to_error());
            Reply reply;
            reply.payload["count"] = count->to_dec();
            reply.human = ctx.printer().ok_line("iExec hub has a total of " + count->to_dec() + " category");
            return reply;
        });
    }
}

}  // namespace wp::cli
