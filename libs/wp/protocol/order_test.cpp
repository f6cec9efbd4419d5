#include "order.hpp"

#include <random>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/codec/eip712.hpp>
#include <wp/core/hex.hpp>
#include <wp/crypto/random.hpp>

#include "tag.hpp"

namespace wp {
namespace {

namespace json = boost::json;

std::string hex(const Bytes32& b) { return to_hex(b.view()); }
Address addr(std::string_view s) { return *Address::parse(s); }
Bytes32 b32(std::string_view s) { return *bytes32_from_hex(s); }

TEST(Order, TypeHashesMatchProtocolReference) {
    // protocol.md §3.2 (equal to the constants of IexecLibOrders_v5).
    EXPECT_EQ(hex(domain_type_hash()), "0x8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f");
    EXPECT_EQ(hex(order_type_hash(OrderKind::kApp)), "0x60815a0eeec47dddf1615fe53b31d016c31444e01b9d796db365443a6445d008");
    EXPECT_EQ(hex(order_type_hash(OrderKind::kDataset)),
              "0x6cfc932a5a3d22c4359295b9f433edff52b60703fa47690a04a83e40933dd47c");
    EXPECT_EQ(hex(order_type_hash(OrderKind::kWorkerpool)),
              "0xaa3429fb281b34691803133d3d978a75bb77c617ed6bc9aa162b9b30920022bb");
    EXPECT_EQ(hex(order_type_hash(OrderKind::kRequest)),
              "0xf24e853034a3a450aba845a82914fbb564ad85accca6cf62be112a154520fae0");
    EXPECT_EQ(hex(order_operation_type_hash(OrderKind::kApp)),
              "0x0638bb0702457e2b4b01be8a202579b8bf97e587fb4f2cc4d4aad01f21a06ee0");
    EXPECT_EQ(hex(order_operation_type_hash(OrderKind::kDataset)),
              "0x075eb6f7578ff4292c241bd2484cd5c1d5e6ecc2ddd3317e1d8176b5a45865ec");
    EXPECT_EQ(hex(order_operation_type_hash(OrderKind::kWorkerpool)),
              "0x322d980b7d7a6a1f7c39ff0c5445da6ae1d8e0393ff0dd468c8be3e2c8644388");
    EXPECT_EQ(hex(order_operation_type_hash(OrderKind::kRequest)),
              "0x0ded7b52c2d77595a40d242eca751df172b18e686326dbbed3f4748828af77c7");
    EXPECT_EQ(order_operation_type_string(OrderKind::kWorkerpool),
              "WorkerpoolOrderOperation(WorkerpoolOrder order,uint256 operation)" +
                  std::string(order_type_string(OrderKind::kWorkerpool)));
}

TEST(Order, KnownDomainSeparators) {
    // protocol.md §3.1.
    EXPECT_EQ(hex(Domain::iexec(42161, addr("0x098bFCb1E50ebcA0BaA92C12eA0c3F045A1aD9f0")).separator()),
              "0x3b211ab198ac0c745a332d34416d88c417c2f06a87bd9f0d2fdd37b242c75402");
    EXPECT_EQ(hex(Domain::iexec(421614, addr("0xB2157BF2fAb286b2A4170E3491Ac39770111Da3E")).separator()),
              "0xde6e7a8f1c22386ba73ee5376e4ec7089a2d2b07ebbfce54d4cb386daa34cc92");
    EXPECT_EQ(hex(Domain::iexec(31337, addr("0x5FC8d32690cc91D4c39d9d3abcBD16989F875707")).separator()),
              "0x3a381c2b61f95eecc30cd1fa149a885c63820b699953cdfa94c38e311235e58f");
    const Domain d = Domain::iexec(31337, addr("0x5FC8d32690cc91D4c39d9d3abcBD16989F875707"));
    EXPECT_EQ(json::serialize(d.to_json()),
              R"({"name":"iExecODB","version":"5.0.0","chainId":"31337","verifyingContract":"0x5FC8d32690cc91D4c39d9d3abcBD16989F875707"})");
}

AppOrder anvil_app() {
    // vectors.md §4.1 anvil-app.
    AppOrder o;
    o.app = addr("0x1111111111111111111111111111111111111111");
    o.appprice = 5;
    o.volume = 1;
    o.tag = make_tag(0x9);
    o.salt = make_tag(1);
    return o;
}

TEST(Order, OperationHashesMatchEthers) {
    // ethers 6.17.0: TypedDataEncoder.from({AppOrderOperation: [{order AppOrder}, {operation uint256}], AppOrder})
    // .hash({order: anvil-app, operation}) and TypedDataEncoder.hash(anvil-31337 domain, ...), and
    // new Wallet(anvil-1 key).signTypedData(...).
    const Domain domain = Domain::iexec(31337, addr("0x5FC8d32690cc91D4c39d9d3abcBD16989F875707"));
    const Order order = anvil_app();
    const auto key = *PrivateKey::from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
    EXPECT_EQ(hex(struct_hash(order)), "0x38779bc864762e2f451a89b07124360db218a6e1c0526cfb7a5c740bdd185fc8");
    EXPECT_EQ(hex(operation_struct_hash(order, OrderOperation::kSign)),
              "0x91265942e4a70cedff01e74332bbce8acf316a601dc927932da068438af2c7eb");
    EXPECT_EQ(hex(operation_hash(domain, order, OrderOperation::kSign)),
              "0x58616555a5c62bc0ba31888471c1dfbfcc9584d655158300a634ae0160f46aa6");
    EXPECT_EQ(to_hex(sign_order_operation(domain, order, OrderOperation::kSign, key)),
              "0xd9b596b45e709c21e3b24423e846fb22f287d0bf401ca8d7b4ae44a1148baf562e52b67a3cd3977240b69e50ac2f8aabc44"
              "600767c848572491749846c710de11c");
    EXPECT_EQ(hex(operation_struct_hash(order, OrderOperation::kClose)),
              "0xc2efc6bd3081d6bf371505ef7a0de59a2203d08d9ecad537f6b4c44a240ea7e4");
    EXPECT_EQ(hex(operation_hash(domain, order, OrderOperation::kClose)),
              "0x3a29650bc8bf3258b9613a06c8f4359972d827161052326bd50ad88999df3c88");
    EXPECT_EQ(to_hex(sign_order_operation(domain, order, OrderOperation::kClose, key)),
              "0xe0e56bf249aefce8e323e9466811f4a6ae3a20e1d781796275673210827e9a03701bee70d943a174afb82d46aa94437669d"
              "05185252a86f5afe772fdb29e34501c");
}

// ---- cross-check of the fast path against the generic EIP-712 encoder ----

class Gen {
  public:
    explicit Gen(std::uint64_t seed) : rng_(seed) {}
    std::uint64_t next() { return rng_(); }
    Bytes32 bytes32() {
        Bytes32 b;
        for (auto& x : b.bytes) x = static_cast<std::uint8_t>(rng_());
        // Sometimes small or zero, sometimes full-width.
        const auto mode = rng_() % 3;
        if (mode == 0) return Bytes32{};
        if (mode == 1) return make_tag(rng_() % 1000);
        return b;
    }
    U256 u256() { return U256::from_be32(bytes32()); }
    Address address() { return Address::from_word(bytes32()); }
    std::string text() {
        static const std::string kPieces[] = {"", "a", "{\"iexec_args\":\"hello\"}", "\xc3\xa9t\xc3\xa9", "\xe2\x9c\x93",
                                              std::string(300, 'x'), "\\\"quoted\\\"", "\n\t"};
        std::string s;
        for (int i = static_cast<int>(rng_() % 4); i > 0; --i) s += kPieces[rng_() % std::size(kPieces)];
        return s;
    }
    Order order(OrderKind kind) {
        switch (kind) {
            case OrderKind::kApp:
                return AppOrder{address(), u256(), u256(), bytes32(), address(), address(), address(), bytes32(), {}};
            case OrderKind::kDataset:
                return DatasetOrder{address(), u256(), u256(), bytes32(), address(), address(), address(), bytes32(), {}};
            case OrderKind::kWorkerpool:
                return WorkerpoolOrder{address(), u256(), u256(), bytes32(), u256(), u256(),
                                       address(), address(), address(), bytes32(), {}};
            case OrderKind::kRequest:
                return RequestOrder{address(), u256(), address(), u256(), address(), u256(), address(), u256(),
                                    bytes32(), u256(), u256(), address(), address(), text(), bytes32(), {}};
        }
        return AppOrder{};
    }

  private:
    std::mt19937_64 rng_;
};

TEST(Order, FastPathEqualsGenericEip712) {
    Gen gen(0x1ec5eed);
    const OrderKind kinds[] = {OrderKind::kApp, OrderKind::kDataset, OrderKind::kWorkerpool, OrderKind::kRequest};
    int checked = 0;
    for (int round = 0; round < 50; ++round) {
        const Domain domain = Domain::iexec(gen.u256(), gen.address());
        for (OrderKind kind : kinds) {
            const Order order = gen.order(kind);
            auto td = eip712::parse_typed_data(json::value(order_typed_data(domain, order)));
            ASSERT_TRUE(td) << td.error().message;
            ASSERT_EQ(*eip712::encode_type(*td, order_type_name(kind)), order_type_string(kind));
            ASSERT_EQ(hex(*eip712::domain_separator(*td)), hex(domain.separator()));
            ASSERT_EQ(hex(*eip712::message_hash(*td)), hex(struct_hash(order)));
            ASSERT_EQ(hex(*eip712::digest(*td)), hex(order_hash(domain, order)));
            ASSERT_EQ(hex(order_hash(domain.separator(), order)), hex(order_hash(domain, order)));
            for (OrderOperation op : {OrderOperation::kSign, OrderOperation::kClose}) {
                auto tdo = eip712::parse_typed_data(json::value(order_operation_typed_data(domain, order, op)));
                ASSERT_TRUE(tdo) << tdo.error().message;
                ASSERT_EQ(*eip712::encode_type(*tdo, td->primary_type + "Operation"), order_operation_type_string(kind));
                ASSERT_EQ(hex(*eip712::message_hash(*tdo)), hex(operation_struct_hash(order, op)));
                ASSERT_EQ(hex(*eip712::digest(*tdo)), hex(operation_hash(domain, order, op)));
            }
            ++checked;
        }
    }
    EXPECT_EQ(checked, 200);
}

TEST(Order, AnyTagHashesAndSigns) {
    // Tag rules are never applied by hashing or signing: all bits set is fine.
    AppOrder o = anvil_app();
    o.tag = b32("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    EXPECT_FALSE(validate_order_tag(OrderKind::kApp, o.tag));
    const Domain domain = Domain::iexec(1, Address{});
    const auto key = PrivateKey::generate();
    Order order = o;
    set_order_sign(order, sign_order(domain, order, key));
    EXPECT_EQ(order_sign(order).size(), 65u);
    EXPECT_EQ(*recover_order_signer(domain, order), key.address());
}

TEST(Order, SignAndRecover) {
    const Domain domain = Domain::iexec(65535, addr("0xC08e9Be37286B7Bbf04875369cf28C21b3F06FCB"));
    const auto key = *PrivateKey::from_hex("0x0101010101010101010101010101010101010101010101010101010101010101");
    Order order = anvil_app();
    EXPECT_FALSE(recover_order_signer(domain, order));  // empty sign
    set_order_sign(order, sign_order(domain, order, key));
    EXPECT_EQ(recover_order_signer(domain, order)->to_checksum(), "0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1");
    // v - 27 is rejected (PoCo/OpenZeppelin accept only 27/28).
    Bytes low_v = order_sign(order);
    low_v[64] = static_cast<std::uint8_t>(low_v[64] - 27);
    set_order_sign(order, low_v);
    EXPECT_FALSE(recover_order_signer(domain, order));
    // Another salt → another hash.
    Order other = anvil_app();
    set_order_salt(other, make_tag(2));
    EXPECT_NE(order_hash(domain, other), order_hash(domain, anvil_app()));
}

// ---- SDK JSON ----

TEST(OrderJson, WorkerpoolOrderRoundTripAndKeyOrder) {
    // vectors.md §5.2 market-workerpool-O, as the CLI writes it in orders.json.
    const char* text = R"({"workerpool":"0x1a2b3C4d5e6F7A8B9c0D1e2f3A4B5c6d7e8F9A0B","workerpoolprice":"1000000000",
      "volume":"3","category":"0","trust":"0",
      "tag":"0x0000000000000000000000000000000000000000000000000000000000000009",
      "apprestrict":"0x0000000000000000000000000000000000000000","datasetrestrict":"0x0000000000000000000000000000000000000000",
      "requesterrestrict":"0x0000000000000000000000000000000000000000",
      "salt":"0x1111111111111111111111111111111111111111111111111111111111111111",
      "sign":"0x30838cb31806cf1889961a218acf28e43b0f805f4e06bc57f8ccefac7983593c33514c8359a44966012da9e4faf511e6ece2c09d392f4e024b670f4a730bed441c"})";
    auto order = order_from_json(OrderKind::kWorkerpool, json::parse(text));
    ASSERT_TRUE(order) << order.error().message;
    const Domain mock = Domain::iexec(65535, addr("0xC08e9Be37286B7Bbf04875369cf28C21b3F06FCB"));
    EXPECT_EQ(hex(struct_hash(*order)), "0xf3f1b5ce7eea3f4d098c41e429bf44ee0b78f7c6786a8d3e3856e909cf90ad07");
    EXPECT_EQ(hex(order_hash(mock, *order)), "0x618d49c27291772687e3b7ce208c75224389131a837ccf3c90a3bc9e6207db71");
    EXPECT_EQ(recover_order_signer(mock, *order)->to_checksum(), "0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1");
    EXPECT_EQ(json::serialize(order_to_json(*order)), json::serialize(json::parse(text)));  // same keys, same order
    std::vector<std::string> keys;
    for (const auto& kv : order_to_json(*order)) keys.emplace_back(kv.key());
    EXPECT_EQ(keys, (std::vector<std::string>{"workerpool", "workerpoolprice", "volume", "category", "trust", "tag",
                                              "apprestrict", "datasetrestrict", "requesterrestrict", "salt", "sign"}));
    EXPECT_EQ(order_to_json(*order, OrderJsonFields::kSalted).size(), 10u);
    EXPECT_EQ(order_to_json(*order, OrderJsonFields::kUnsigned).size(), 9u);
}

TEST(OrderJson, KeyOrdersOfEveryKind) {
    const auto keys_of = [](const Order& o) {
        std::string s;
        for (const auto& kv : order_to_json(o)) s += std::string(kv.key()) + " ";
        return s;
    };
    EXPECT_EQ(keys_of(AppOrder{}),
              "app appprice volume tag datasetrestrict workerpoolrestrict requesterrestrict salt sign ");
    EXPECT_EQ(keys_of(DatasetOrder{}),
              "dataset datasetprice volume tag apprestrict workerpoolrestrict requesterrestrict salt sign ");
    EXPECT_EQ(keys_of(RequestOrder{}),
              "app appmaxprice dataset datasetmaxprice workerpool workerpoolmaxprice requester beneficiary volume "
              "params callback category trust tag salt sign ");
    const auto empty = order_to_json(AppOrder{});
    EXPECT_EQ(empty.at("sign").as_string(), "0x");
    EXPECT_EQ(empty.at("appprice").as_string(), "0");
    EXPECT_EQ(empty.at("app").as_string(), "0x0000000000000000000000000000000000000000");
    EXPECT_EQ(empty.at("tag").as_string(), "0x0000000000000000000000000000000000000000000000000000000000000000");
}

TEST(OrderJson, RoundTripAllKinds) {
    Gen gen(42);
    for (OrderKind kind : {OrderKind::kApp, OrderKind::kDataset, OrderKind::kWorkerpool, OrderKind::kRequest}) {
        for (int i = 0; i < 20; ++i) {
            Order order = gen.order(kind);
            set_order_sign(order, random_bytes(static_cast<std::size_t>(gen.next() % 3) * 32 + 1));
            auto back = order_from_json(kind, json::value(order_to_json(order)), OrderJsonOptions{true, true});
            ASSERT_TRUE(back) << back.error().message;
            EXPECT_EQ(*back, order);
        }
    }
}

TEST(OrderJson, LenientInputs) {
    // JSON integers, leading zeros, lowercase/uppercase addresses, tag names, no salt/sign when allowed.
    auto order = order_from_json(OrderKind::kApp, json::parse(R"({
        "app":"0X1111111111111111111111111111111111111111", "appprice": 5, "volume":"0001", "tag":["tee","tdx"],
        "datasetrestrict":"0xABABABABABABABABABABABABABABABABABABABAB",
        "workerpoolrestrict":"0x0000000000000000000000000000000000000000",
        "requesterrestrict":"0x0000000000000000000000000000000000000000"})"),
                                 OrderJsonOptions{.require_salt = false});
    // "0X" prefixes are not addresses.
    EXPECT_FALSE(order);
    order = order_from_json(OrderKind::kApp, json::parse(R"({
        "app":"0x1111111111111111111111111111111111111111", "appprice": 5, "volume":"0001", "tag":"tee,tdx",
        "datasetrestrict":"0xABABABABABABABABABABABABABABABABABABABAB",
        "workerpoolrestrict":"0x0000000000000000000000000000000000000000",
        "requesterrestrict":"0x0000000000000000000000000000000000000000"})"),
                            OrderJsonOptions{.require_salt = false});
    ASSERT_TRUE(order) << order.error().message;
    const auto& app = std::get<AppOrder>(*order);
    EXPECT_EQ(app.appprice, U256(5));
    EXPECT_EQ(app.volume, U256(1));
    EXPECT_EQ(app.tag, make_tag(9));
    EXPECT_TRUE(app.salt.is_zero());
    EXPECT_TRUE(app.sign.empty());
    EXPECT_EQ(app.datasetrestrict.to_checksum(), "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB");  // ethers getAddress
}

TEST(OrderJson, Errors) {
    const auto err = [](OrderKind kind, const char* text, OrderJsonOptions options = {}) {
        auto o = order_from_json(kind, json::parse(text), options);
        return o ? std::string("ok") : o.error().message;
    };
    const std::string base = R"("workerpool":"0x1a2b3C4d5e6F7A8B9c0D1e2f3A4B5c6d7e8F9A0B","workerpoolprice":"0",)"
                             R"("category":"0","trust":"0","tag":"0x0000000000000000000000000000000000000000000000000000000000000000",)"
                             R"("apprestrict":"0x0000000000000000000000000000000000000000",)"
                             R"("datasetrestrict":"0x0000000000000000000000000000000000000000",)"
                             R"("requesterrestrict":"0x0000000000000000000000000000000000000000",)"
                             R"("salt":"0x0000000000000000000000000000000000000000000000000000000000000001")";
    const auto with = [&](const std::string& extra) { return "{" + base + "," + extra + "}"; };
    EXPECT_EQ(err(OrderKind::kWorkerpool, with(R"("volume":"1")").c_str()), "ok");
    EXPECT_EQ(err(OrderKind::kWorkerpool, ("{" + base + "}").c_str()), "workerpoolorder: missing \"volume\"");
    EXPECT_EQ(err(OrderKind::kWorkerpool, with(R"("volume":"abc")").c_str()),
              "workerpoolorder.volume: abc is not a valid uint256");
    EXPECT_EQ(err(OrderKind::kWorkerpool, with(R"("volume":-1)").c_str()),
              "workerpoolorder.volume: -1 is not a valid uint256");
    EXPECT_EQ(err(OrderKind::kWorkerpool, with(R"("volume":1.5)").c_str()),
              "workerpoolorder.volume: 1.5E0 is not a valid uint256");
    EXPECT_NE(err(OrderKind::kWorkerpool, with(R"("volume":"0x10")").c_str()), "ok");
    EXPECT_NE(err(OrderKind::kWorkerpool, with(R"("volume":"1 RLC")").c_str()), "ok");
    EXPECT_NE(err(OrderKind::kWorkerpool,
                  with(R"("volume":"115792089237316195423570985008687907853269984665640564039457584007913129639936")")
                      .c_str()),
              "ok");
    EXPECT_EQ(err(OrderKind::kWorkerpool, with(R"("volume":"1","foo":1)").c_str()),
              "workerpoolorder: unknown key \"foo\" (expected: workerpool, workerpoolprice, volume, tag, category, "
              "trust, apprestrict, datasetrestrict, requesterrestrict, salt, sign)");
    EXPECT_EQ(err(OrderKind::kWorkerpool, with(R"("volume":"1","sign":"0x123")").c_str()),
              "workerpoolorder.sign: odd number of hex digits (3)");
    EXPECT_EQ(err(OrderKind::kWorkerpool, with(R"("volume":"1")").c_str(), OrderJsonOptions{true, true}),
              "workerpoolorder: missing \"sign\"");
    EXPECT_EQ(err(OrderKind::kApp, "[]"), "apporder: expected a JSON object");
    // Mixed-case address with a wrong checksum.
    std::string bad = with(R"("volume":"1")");
    bad.replace(bad.find("3C4d"), 4, "3c4d");
    EXPECT_NE(err(OrderKind::kWorkerpool, bad.c_str()).find("workerpoolorder.workerpool: "), std::string::npos);
    // Tag names and tag hex errors.
    std::string tag_names = with(R"("volume":"1")");
    tag_names.replace(tag_names.find("\"0x0000000000000000000000000000000000000000000000000000000000000000\""), 68,
                      R"("tee,foo")");
    EXPECT_EQ(err(OrderKind::kWorkerpool, tag_names.c_str()),
              "workerpoolorder.tag: tee,foo is not a valid tag. Unknown tag foo");
    // Missing salt only tolerated when asked.
    std::string no_salt = with(R"("volume":"1")");
    no_salt.erase(no_salt.find(",\"salt\""), 76);
    EXPECT_EQ(err(OrderKind::kWorkerpool, no_salt.c_str()), "workerpoolorder: missing \"salt\"");
    EXPECT_EQ(err(OrderKind::kWorkerpool, no_salt.c_str(), OrderJsonOptions{false, false}), "ok");
    // params must be a string.
    json::object request = order_to_json(RequestOrder{});
    request["params"] = json::object{{"iexec_args", "x"}};
    auto bad_params = order_from_json(OrderKind::kRequest, request);
    ASSERT_FALSE(bad_params);
    EXPECT_EQ(bad_params.error().message, "requestorder.params: expected a string");
}

TEST(OrderKindNames, Parse) {
    EXPECT_EQ(*parse_order_kind("workerpoolorder"), OrderKind::kWorkerpool);
    EXPECT_EQ(*parse_order_kind("RequestOrder"), OrderKind::kRequest);
    EXPECT_EQ(*parse_order_kind("dataset"), OrderKind::kDataset);
    EXPECT_FALSE(parse_order_kind("App"));
    EXPECT_EQ(order_key(OrderKind::kApp), "apporder");
    EXPECT_EQ(order_type_name(OrderKind::kDataset), "DatasetOrder");
    EXPECT_EQ(kind_of(Order{RequestOrder{}}), OrderKind::kRequest);
}

}  // namespace
}  // namespace wp
