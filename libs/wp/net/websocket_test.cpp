// WebSocket endpoints and client against the real server on 127.0.0.1, and the JSON protocol parser.

#include "websocket.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "ws_protocol.hpp"
#include <wp/net/test_support.hpp>

namespace wp::net {
namespace {

using namespace std::chrono_literals;

using wp::net::testing::eventually;

TEST(WsProtocol, ParsesTheThreeOps) {
    auto m = parse_ws_client_message(R"({"op":"subscribe","topic":"137:orders","id":7})");
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->op, WsClientMessage::Op::kSubscribe);
    EXPECT_EQ(m->topic, "137:orders");
    EXPECT_EQ(m->id_json, "7");
    m = parse_ws_client_message(R"({"topic":"t","op":"unsubscribe"})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->op, WsClientMessage::Op::kUnsubscribe);
    EXPECT_FALSE(m->id_json);
    m = parse_ws_client_message(R"({"op":"ping","id":"a\"b"})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->op, WsClientMessage::Op::kPing);
    EXPECT_EQ(m->id_json, R"("a\"b")");
}

TEST(WsProtocol, RejectsWithTheKeyAndTheRule) {
    auto err = [](std::string_view text) {
        auto m = parse_ws_client_message(text, 256);
        return m ? std::string("<ok>") : m.error().message;
    };
    EXPECT_EQ(err(R"({"op":"join","topic":"t"})"), R"(op: unknown op "join")");
    EXPECT_EQ(err(R"({"topic":"t"})"), "op: is required");
    EXPECT_EQ(err(R"({"op":1})"), "op: must be a string");
    EXPECT_EQ(err(R"({"op":"subscribe"})"), "topic: is required");
    EXPECT_EQ(err(R"({"op":"subscribe","topic":""})"), "topic: must be 1 to 200 printable ASCII characters");
    EXPECT_EQ(err(R"({"op":"subscribe","topic":"a b"})"), "topic: must be 1 to 200 printable ASCII characters");
    EXPECT_EQ(err(R"({"op":"subscribe","topic":5})"), "topic: must be a string");
    EXPECT_EQ(err(R"({"op":"ping","topic":"t"})"), "topic: not allowed with op ping");
    EXPECT_EQ(err(R"({"op":"ping","id":1.5})"), "id: must be a string or an integer");
    EXPECT_EQ(err(R"({"op":"ping","x":1})"), R"(message: unknown key "x")");
    EXPECT_EQ(err(R"({"op":"ping","op":"ping"})"), R"(message: duplicate key "op")");
    EXPECT_EQ(err(R"(["op"])"), "message: must be a JSON object");
    EXPECT_EQ(err(std::string(300, ' ')), "message: larger than 256 bytes");
    EXPECT_EQ(err(R"({"op":{"a":{"b":{"c":{}}}}})"), "message: nested deeper than 4 levels");
}

TEST(WsProtocol, ServerMessages) {
    EXPECT_EQ(ws_event_message("orders", "workerpoolorder_published", R"({"a":1})"),
              R"({"topic":"orders","event":"workerpoolorder_published","data":{"a":1}})");
    EXPECT_EQ(ws_ack_message("subscribe", "orders", std::string("3")),
              R"({"ack":"subscribe","topic":"orders","id":3})");
    EXPECT_EQ(ws_ack_message("ping", "", std::nullopt), R"({"ack":"ping"})");
    EXPECT_EQ(ws_error_message("bad \"x\"", std::nullopt), R"({"error":"bad \"x\""})");
}

class WsTest : public ::testing::Test {
  protected:
    void start(WebSocketOptions options = {}, HttpServerOptions server_options = {}) {
        server_ = std::make_unique<HttpServer>(server_options);
        hub_ = server_->websocket("/ws", std::move(options));
        server_->route("GET", "/plain", [](const ServerRequest&) { return HttpResponse::text(200, "plain"); });
        ASSERT_TRUE(server_->start());
        url_ = "ws://127.0.0.1:" + std::to_string(server_->port()) + "/ws";
    }
    std::unique_ptr<WebSocketClient> connect(WebSocketClientOptions options = {}) {
        auto c = WebSocketClient::connect(url_, std::move(options));
        EXPECT_TRUE(c) << c.error().message;
        return c ? std::move(*c) : nullptr;
    }

    std::unique_ptr<HttpServer> server_;
    std::shared_ptr<WebSocketHub> hub_;
    std::string url_;
};

TEST_F(WsTest, SubscribePublishUnsubscribe) {
    start();
    auto a = connect();
    auto b = connect();
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(a->subscribe("orders"));
    ASSERT_TRUE(b->subscribe("orders"));
    ASSERT_TRUE(b->subscribe("deals"));
    EXPECT_EQ(hub_->connections(), 2u);
    EXPECT_EQ(hub_->subscribers("orders"), 2u);
    EXPECT_EQ(hub_->subscribers("deals"), 1u);
    EXPECT_EQ(hub_->subscribers("none"), 0u);

    // publish() from other threads; each connection receives its topics' events in order.
    std::thread t([&] {
        EXPECT_EQ(hub_->publish("orders", "workerpoolorder_published", R"({"orderHash":"0x1"})"), 2u);
        EXPECT_EQ(hub_->publish("deals", "deal_created", R"({"dealid":"0x2"})"), 1u);
        EXPECT_EQ(hub_->publish("nobody", "x", "null"), 0u);
    });
    t.join();
    EXPECT_EQ(a->receive(5s).value(),
              R"({"topic":"orders","event":"workerpoolorder_published","data":{"orderHash":"0x1"}})");
    EXPECT_EQ(b->receive(5s).value(),
              R"({"topic":"orders","event":"workerpoolorder_published","data":{"orderHash":"0x1"}})");
    EXPECT_EQ(b->receive(5s).value(), R"({"topic":"deals","event":"deal_created","data":{"dealid":"0x2"}})");

    ASSERT_TRUE(b->unsubscribe("orders"));
    EXPECT_EQ(hub_->subscribers("orders"), 1u);
    hub_->publish("orders", "workerpoolorder_unpublished", R"("0x1")");
    EXPECT_EQ(a->receive(5s).value(), R"({"topic":"orders","event":"workerpoolorder_unpublished","data":"0x1"})");
    // b got nothing more: its next message is the answer to a ping.
    ASSERT_TRUE(b->send(R"({"op":"ping","id":"p"})"));
    EXPECT_EQ(b->receive(5s).value(), R"({"ack":"ping","id":"p"})");

    a.reset();  // closing a connection unsubscribes it
    EXPECT_TRUE(eventually([&] { return hub_->subscribers("orders") == 0 && hub_->connections() == 1; }));
}

TEST_F(WsTest, ProtocolErrorsKeepTheConnection) {
    start({.max_subscriptions = 2});
    auto c = connect();
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->send(R"({"op":"join","topic":"orders","id":4})"));
    EXPECT_EQ(c->receive(5s).value(), R"({"error":"op: unknown op \"join\""})");
    ASSERT_TRUE(c->send("not json"));
    EXPECT_EQ(c->receive(5s).value().rfind(R"({"error":"message: )", 0), 0u);
    ASSERT_TRUE(c->subscribe("a"));
    ASSERT_TRUE(c->subscribe("b"));
    ASSERT_TRUE(c->subscribe("a"));  // already subscribed: acknowledged, not counted twice
    auto third = c->subscribe("c");
    ASSERT_FALSE(third);
    EXPECT_EQ(third.error().code, Errc::kRemote);
    EXPECT_NE(third.error().message.find("subscribe: at most 2 topics per connection"), std::string::npos);
    EXPECT_FALSE(c->receive(20ms));  // nothing else queued
    EXPECT_FALSE(c->closed());
}

TEST_F(WsTest, UpgradeFiltersAndTopicAuthorization) {
    WebSocketOptions options;
    options.filters.push_back([](ServerRequest& r) -> std::optional<Reply> {
        auto token = r.header("authorization");
        if (!token) return Reply(tl::unexpected(HttpError{401, "invalid authorization", {}}));
        r.attributes["worker"] = std::string(*token);
        return std::nullopt;
    });
    options.authorize_topic = [](const ServerRequest& upgrade, std::string_view topic) -> std::optional<std::string> {
        const auto* worker = upgrade.attribute<std::string>("worker");
        if (topic == "assignments/" + *worker) return std::nullopt;
        return "topic " + std::string(topic) + " is not yours";
    };
    start(std::move(options));
    auto refused = WebSocketClient::connect(url_);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::kNetwork);
    EXPECT_NE(refused.error().message.find("upgrade refused with HTTP 401"), std::string::npos)
        << refused.error().message;
    auto c = connect({.headers = {{"Authorization", "w1"}}});
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->subscribe("assignments/w1"));
    auto other = c->subscribe("assignments/w2");
    ASSERT_FALSE(other);
    EXPECT_NE(other.error().message.find("topic assignments/w2 is not yours"), std::string::npos);

    // A plain GET on the WebSocket route is told to upgrade.
    auto plain = WebSocketClient::connect("ws://127.0.0.1:" + std::to_string(server_->port()) + "/plain");
    ASSERT_FALSE(plain);
}

TEST_F(WsTest, ASlowConsumerIsDroppedWithBoundedMemory) {
    start({.max_queue_messages = 64, .max_queue_bytes = 32 * 1024, .close_grace = 50ms});
    // Never reads, with a small receive buffer: the server's writes stall and its queue fills.
    auto slow = connect({.read = false, .receive_buffer_bytes = 4096});
    auto fast = connect();
    ASSERT_TRUE(slow && fast);
    ASSERT_TRUE(slow->subscribe("t"));
    EXPECT_TRUE(eventually([&] { return hub_->subscribers("t") == 1; }));
    const std::string payload = "\"" + std::string(1000, 'x') + "\"";
    for (int i = 0; i < 2000 && hub_->dropped() == 0; ++i) hub_->publish("t", "e", payload);
    EXPECT_TRUE(eventually([&] { return hub_->dropped() == 1; }));
    EXPECT_LE(hub_->max_queued_bytes_seen(), 32u * 1024);
    EXPECT_TRUE(eventually([&] { return hub_->connections() == 1; }));  // the slow one is gone
    EXPECT_EQ(hub_->subscribers("t"), 0u);
    EXPECT_EQ(server_->metrics().counter("wp_ws_dropped_total", "").value(), 1u);
    // The other connection is unaffected.
    ASSERT_TRUE(fast->subscribe("t"));
    hub_->publish("t", "e", "1");
    EXPECT_EQ(fast->receive(5s).value(), R"({"topic":"t","event":"e","data":1})");
}

TEST_F(WsTest, AReaderThatFallsBehindGetsPolicyClose) {
    start({.max_queue_messages = 2});
    auto c = connect();
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->subscribe("t"));
    for (int i = 0; i < 50; ++i) hub_->publish("t", "e", std::to_string(i));  // a burst above the queue limit
    EXPECT_TRUE(eventually([&] { return hub_->dropped() == 1; }));
    // What was queued arrives, then the close frame with 1008 (policy violation).
    for (;;) {
        auto m = c->receive(10s);
        if (!m) {
            EXPECT_EQ(m.error().code, Errc::kNetwork) << m.error().message;
            EXPECT_NE(m.error().message.find("code 1008"), std::string::npos) << m.error().message;
            break;
        }
    }
    EXPECT_EQ(c->close_code(), 1008u);
}

TEST_F(WsTest, KeepAlivePingsAndSilentClientsAreClosed) {
    start({.idle_timeout = 200ms});
    auto live = connect();                 // answers pings (the client reads)
    auto mute = connect({.read = false});  // never reads: cannot answer pings
    ASSERT_TRUE(live && mute);
    EXPECT_TRUE(eventually([&] { return hub_->connections() == 1; }));  // the mute one timed out
    EXPECT_FALSE(live->closed());
    ASSERT_TRUE(live->subscribe("t"));
    hub_->publish("t", "e", "true");
    EXPECT_EQ(live->receive(5s).value(), R"({"topic":"t","event":"e","data":true})");
}

TEST_F(WsTest, StopClosesWithGoingAway) {
    start();
    auto c = connect();
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->subscribe("t"));
    server_->stop();
    auto m = c->receive(10s);
    ASSERT_FALSE(m);
    EXPECT_EQ(c->close_code(), 1001u);
    hub_->publish("t", "e", "1");  // harmless after stop
}

TEST(WsClient, BadUrlAndRefusedConnection) {
    auto r = WebSocketClient::connect("http://127.0.0.1:1/ws");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    HttpServer s;
    ASSERT_TRUE(s.start());
    const auto port = s.port();
    s.stop();
    r = WebSocketClient::connect("ws://127.0.0.1:" + std::to_string(port) + "/ws");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kNetwork);
}

}  // namespace
}  // namespace wp::net
