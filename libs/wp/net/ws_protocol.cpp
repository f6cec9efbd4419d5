#include "ws_protocol.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "json_body.hpp"

namespace wp::net {

Result<void> validate_topic(std::string_view topic) {
    bool ok = !topic.empty() && topic.size() <= kMaxTopicLength;
    for (char c : topic) ok = ok && c >= 0x21 && c <= 0x7e;
    if (!ok)
        return make_error(Errc::kInvalidArgument,
                          "topic: must be 1 to " + std::to_string(kMaxTopicLength) + " printable ASCII characters");
    return {};
}

Result<WsClientMessage> parse_ws_client_message(std::string_view text, std::size_t max_bytes) {
    WP_TRY(auto value, parse_json_strict(text, JsonLimits{max_bytes, 4}, "message"));
    const auto* obj = value.if_object();
    if (!obj) return make_error(Errc::kDecoding, "message: must be a JSON object");
    WsClientMessage m;
    const boost::json::value* op = nullptr;
    const boost::json::value* topic = nullptr;
    for (const auto& kv : *obj) {
        const std::string_view key(kv.key().data(), kv.key().size());
        if (key == "op") {
            op = &kv.value();
        } else if (key == "topic") {
            topic = &kv.value();
        } else if (key == "id") {
            const auto& id = kv.value();
            if (const auto* s = id.if_string()) {
                if (s->size() > 64)
                    return make_error(Errc::kInvalidArgument, "id: a string id must be at most 64 bytes");
            } else if (!id.is_int64() && !id.is_uint64()) {
                return make_error(Errc::kInvalidArgument, "id: must be a string or an integer");
            }
            m.id_json = boost::json::serialize(id);
        } else {
            return make_error(Errc::kInvalidArgument, "message: unknown key " + json_quote(key.substr(0, 64)));
        }
    }
    if (!op) return make_error(Errc::kInvalidArgument, "op: is required");
    const auto* op_s = op->if_string();
    if (!op_s) return make_error(Errc::kInvalidArgument, "op: must be a string");
    const std::string_view op_name(op_s->data(), op_s->size());
    if (op_name == "subscribe") m.op = WsClientMessage::Op::kSubscribe;
    else if (op_name == "unsubscribe") m.op = WsClientMessage::Op::kUnsubscribe;
    else if (op_name == "ping") m.op = WsClientMessage::Op::kPing;
    else return make_error(Errc::kInvalidArgument, "op: unknown op " + json_quote(op_name.substr(0, 64)));
    if (m.op == WsClientMessage::Op::kPing) {
        if (topic) return make_error(Errc::kInvalidArgument, "topic: not allowed with op ping");
        return m;
    }
    if (!topic) return make_error(Errc::kInvalidArgument, "topic: is required");
    const auto* t = topic->if_string();
    if (!t) return make_error(Errc::kInvalidArgument, "topic: must be a string");
    m.topic = std::string(t->data(), t->size());
    WP_TRY_VOID(validate_topic(m.topic));
    return m;
}

std::string ws_event_message(std::string_view topic, std::string_view event, std::string_view data_json) {
    std::string out = "{\"topic\":" + json_quote(topic) + ",\"event\":" + json_quote(event) + ",\"data\":";
    out.append(data_json);
    out.push_back('}');
    return out;
}

std::string ws_ack_message(std::string_view op, std::string_view topic, const std::optional<std::string>& id_json) {
    std::string out = "{\"ack\":" + json_quote(op);
    if (!topic.empty()) out += ",\"topic\":" + json_quote(topic);
    if (id_json) out += ",\"id\":" + *id_json;
    out.push_back('}');
    return out;
}

std::string ws_error_message(std::string_view message, const std::optional<std::string>& id_json) {
    std::string out = "{\"error\":" + json_quote(message);
    if (id_json) out += ",\"id\":" + *id_json;
    out.push_back('}');
    return out;
}

std::string ws_subscribe_message(std::string_view topic, std::optional<std::string_view> id_json) {
    std::string out = "{\"op\":\"subscribe\",\"topic\":" + json_quote(topic);
    if (id_json) out += ",\"id\":" + std::string(*id_json);
    out.push_back('}');
    return out;
}

std::string ws_unsubscribe_message(std::string_view topic) {
    return "{\"op\":\"unsubscribe\",\"topic\":" + json_quote(topic) + "}";
}

}  // namespace wp::net
