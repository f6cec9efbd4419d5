// libFuzzer target: arbitrary bytes → JSON → every worker-protocol decoder. Must never crash, hang or allocate without
// bound. Property: whatever a decoder accepts, its canonical encoding decodes to the same value (decode → encode →
// decode is the identity), and that encoding is a fixed point of encode ∘ decode.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include "messages.hpp"

namespace {

template <class Decode>
void check(const boost::json::value& doc, Decode decode) {
    auto v = decode(doc);
    if (!v) return;
    const boost::json::value encoded = wp::workerapi::to_json(*v);
    auto again = decode(encoded);
    if (!again || !(*again == *v)) __builtin_trap();
    if (wp::workerapi::serialize(wp::workerapi::to_json(*again)) != wp::workerapi::serialize(encoded)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace wp::workerapi;
    if (size > 64 * 1024) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    boost::system::error_code ec;
    boost::json::parse_options options;
    options.max_depth = 32;
    const boost::json::value doc = boost::json::parse(text, ec, {}, options);
    if (ec) return 0;
    check(doc, login_answer_from_json);
    check(doc, registration_from_json);
    check(doc, registration_answer_from_json);
    check(doc, heartbeat_from_json);
    check(doc, heartbeat_answer_from_json);
    check(doc, authorization_from_json);
    check(doc, assignment_from_json);
    check(doc, notification_from_json);
    check(doc, notification_batch_from_json);
    check(doc, status_update_from_json);
    check(doc, status_answer_from_json);
    check(doc, recovery_from_json);
    (void)login_challenge_from_json(doc);
    return 0;
}
