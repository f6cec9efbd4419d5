#pragma once
// The JSON protocol spoken over HttpServer's WebSocket endpoints (text frames, one JSON object per frame).
// No Asio / Beast here.
//
// Client -> server:
//   {"op":"subscribe","topic":"orders","id":1}     subscribe to a topic; "id" (optional string or integer) is echoed
//   {"op":"unsubscribe","topic":"orders"}          stop receiving a topic
//   {"op":"ping","id":"x"}                         application-level ping (answered {"ack":"ping","id":"x"})
// Server -> client:
//   {"ack":"subscribe","topic":"orders","id":1}    acknowledgement of an op (id only when the client sent one)
//   {"topic":"orders","event":"workerpoolorder_published","data":{...}}   a published event
//   {"error":"unknown op 'join'","id":1}           a refused message (the connection stays open)
//
// parse_ws_client_message() is strict: a JSON object (parse_json_strict: no duplicate keys, depth <= 4) of at most
// `max_bytes`, "op" required and one of the three ops, "topic" required for subscribe / unsubscribe and made of 1 to
// kMaxTopicLength printable ASCII characters (0x21-0x7e), "id" a string of at most 64 bytes or an integer, no other
// key. Errors are Errc::kDecoding / kInvalidArgument with messages naming the key ("topic: must be 1 to 200
// printable ASCII characters").
//
// Thread safety: pure functions.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <wp/core/result.hpp>

namespace wp::net {

inline constexpr std::size_t kMaxTopicLength = 200;

struct WsClientMessage {
    enum class Op { kSubscribe, kUnsubscribe, kPing };
    Op op{Op::kPing};
    std::string topic;                   //!< empty for ping
    std::optional<std::string> id_json;  //!< the "id" value as JSON text (e.g. "1" or "\"a\""), to echo
};

Result<WsClientMessage> parse_ws_client_message(std::string_view text, std::size_t max_bytes = 4096);

//! Checks a topic name (same rule as the protocol's "topic").
Result<void> validate_topic(std::string_view topic);

//! {"topic":...,"event":...,"data":<data_json>}; `data_json` must be a JSON text (not re-validated).
std::string ws_event_message(std::string_view topic, std::string_view event, std::string_view data_json);
//! {"ack":"subscribe","topic":...,"id":...} (topic omitted when empty, id when absent).
std::string ws_ack_message(std::string_view op, std::string_view topic, const std::optional<std::string>& id_json);
//! {"error":...,"id":...}.
std::string ws_error_message(std::string_view message, const std::optional<std::string>& id_json);

//! The subscribe / unsubscribe / ping messages a client sends.
std::string ws_subscribe_message(std::string_view topic, std::optional<std::string_view> id_json = {});
std::string ws_unsubscribe_message(std::string_view topic);

}  // namespace wp::net
