// libFuzzer target for the WebSocket JSON protocol parser (ws_protocol.hpp).
//
// Properties checked on every input:
//  - parse_ws_client_message never crashes and fails with a non-empty message;
//  - on success the topic is valid (validate_topic) for subscribe / unsubscribe and empty for ping, and the message
//    rebuilt from the parsed fields parses back to the same op, topic and id.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <wp/net/ws_protocol.hpp>

namespace {

void fail(const char* what) {
    std::fprintf(stderr, "ws_protocol_fuzz: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto m = wp::net::parse_ws_client_message(input);
    if (!m) {
        if (m.error().message.empty()) fail("empty error message");
        return 0;
    }
    using Op = wp::net::WsClientMessage::Op;
    std::string rebuilt;
    if (m->op == Op::kPing) {
        if (!m->topic.empty()) fail("ping with a topic");
        rebuilt = "{\"op\":\"ping\"" + (m->id_json ? ",\"id\":" + *m->id_json : std::string()) + "}";
    } else {
        if (!wp::net::validate_topic(m->topic)) fail("invalid topic accepted");
        if (m->op == Op::kSubscribe) {
            rebuilt = wp::net::ws_subscribe_message(
                m->topic, m->id_json ? std::optional<std::string_view>(*m->id_json) : std::nullopt);
        } else {
            rebuilt = wp::net::ws_unsubscribe_message(m->topic);
            if (m->id_json) rebuilt = rebuilt.substr(0, rebuilt.size() - 1) + ",\"id\":" + *m->id_json + "}";
        }
    }
    auto back = wp::net::parse_ws_client_message(rebuilt);
    if (!back) fail("rebuilt message refused");
    if (back->op != m->op || back->topic != m->topic || back->id_json != m->id_json) fail("round trip differs");
    return 0;
}
