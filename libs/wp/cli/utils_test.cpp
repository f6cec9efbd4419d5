#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include <wp/crypto/keystore.hpp>

#include "iexec_cli.hpp"
#include "utils.hpp"

namespace wp::cli {
namespace {

// vectors.json: anvil-workerpool @ anvil-31337 (signer anvil-2).
constexpr const char* kWorkerpoolOrder = R"({
  "workerpool": "0x2222222222222222222222222222222222222222", "workerpoolprice": "10", "volume": "1",
  "category": "0", "trust": "1",
  "tag": "0x0000000000000000000000000000000000000000000000000000000000000009",
  "apprestrict": "0x0000000000000000000000000000000000000000",
  "datasetrestrict": "0x0000000000000000000000000000000000000000",
  "requesterrestrict": "0x0000000000000000000000000000000000000000",
  "salt": "0x0000000000000000000000000000000000000000000000000000000000000002"})";
constexpr const char* kAnvilHub = "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707";
constexpr const char* kAnvil2Key = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

struct Run {
    int code;
    std::string out;
    std::string err;
};

Run iexec(std::vector<std::string> args) {
    args.insert(args.begin(), "iexec");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::ostringstream out, err;
    const int code = run_iexec(static_cast<int>(argv.size()), argv.data(), out, err);
    return {code, out.str(), err.str()};
}

TEST(Utils, Keccak256) {
    EXPECT_EQ(utils_keccak256("iExecKitty")->human,
              "0x99c2268479b93fde36232351229815df80837e247066f0acfcf087b5d9321d3d");
    EXPECT_EQ(utils_keccak256("0x")->human, "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    auto bad = utils_keccak256("0xzz");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "input: invalid hex digit 'z' at position 2");
}

TEST(Utils, HashAndSignWorkerpoolOrder) {
    auto h = utils_hash_order("workerpool", kWorkerpoolOrder, "31337", kAnvilHub);
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_EQ(h->payload.at("domainSeparator").as_string(),
              "0x3a381c2b61f95eecc30cd1fa149a885c63820b699953cdfa94c38e311235e58f");
    EXPECT_EQ(h->payload.at("structHash").as_string(),
              "0x75f605b69d67052ff1d6f03541c62c3c22dce2a3a0e0eddd41879d58f82d11fc");
    EXPECT_EQ(h->payload.at("orderHash").as_string(),
              "0xcc9118c9113ef6d8e121fc663e7f6ac763cd88b5ac6dde4c098672aaf192e41c");
    SignerOptions signer;
    signer.private_key = kAnvil2Key;
    auto s = utils_sign_order("workerpool", kWorkerpoolOrder, "31337", kAnvilHub, signer);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->payload.at("sign").as_string(),
              "0xff85f16206fe3009c663ae813ec3fa7f6b5a8bb082cccaf540bbec3306c204b53c4c092fed72c33990a715e55ae0e78c4e4ba7"
              "557718fc806f0f9406567400cd1c");
}

TEST(Utils, HashOrderErrorsNameTheField) {
    std::string order = kWorkerpoolOrder;
    order.replace(order.find("\"10\""), 4, "\"ten\"");
    auto e = utils_hash_order("workerpool", order, "31337", kAnvilHub);
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().message.find("workerpoolprice"), std::string::npos) << e.error().message;
    e = utils_hash_order("workerpool", kWorkerpoolOrder, "x", kAnvilHub);
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().message.find("chain-id"), std::string::npos) << e.error().message;
    e = utils_hash_order("workerpool", kWorkerpoolOrder, "31337", "0x1234");
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().message.find("hub"), std::string::npos) << e.error().message;
    e = utils_hash_order("workerpool", "{not json", "31337", kAnvilHub);
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().message.find("order"), std::string::npos) << e.error().message;
}

TEST(Utils, SignMessageAndRecover) {
    // vectors.json workerpoolAuthorizations @ anvil-31337.
    SignerOptions signer;
    signer.private_key = kAnvil2Key;
    const char* hash = "0xd318407fba0162b67a8d9525c9c61e7e5e852f08d54acf5a8eace7ab9adb9a17";
    const char* sig =
        "0x048fb42183cdb6dbbcc86f6ca163f52910aa1bc2b484b39dfbb06965ea42bc423a9b0a908d5b43b149f43b03fc0740219abcfe81504a"
        "e68845c18f9443d6b25c1c";
    EXPECT_EQ(utils_sign_message(hash, signer)->human, sig);
    EXPECT_EQ(utils_recover(hash, sig, true)->human, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    // Without --eip191 the same signature recovers some other address.
    EXPECT_NE(utils_recover(hash, sig, false)->human, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    EXPECT_FALSE(utils_sign_message("0x1234", signer));
    EXPECT_FALSE(utils_sign_message(hash, SignerOptions{}));
}

TEST(Utils, KeystoreDecryptAndWalletFile) {
    auto key = *PrivateKey::from_hex(kAnvil2Key);
    KeystoreOptions options;
    options.scrypt_n = 1024;
    const std::string path = ::testing::TempDir() + "wp_cli_keystore.json";
    std::ofstream(path) << keystore_encrypt(key, "pw", options);
    auto r = utils_keystore_decrypt(path, std::string("pw"), false);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->human, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    auto shown = utils_keystore_decrypt(path, std::string("pw"), true);
    EXPECT_EQ(shown->payload.at("privateKey").as_string(), kAnvil2Key);
    auto wrong = utils_keystore_decrypt(path, std::string("nope"), false);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, Errc::kWrongPassword);
    EXPECT_FALSE(utils_keystore_decrypt(path, std::nullopt, false));
    EXPECT_EQ(utils_keystore_decrypt("/nonexistent/x.json", std::string("pw"), false).error().code, Errc::kIo);

    SignerOptions signer;
    signer.wallet_file = path;
    signer.password = "pw";
    auto s = utils_sign_order("workerpool", kWorkerpoolOrder, "31337", kAnvilHub, signer);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->payload.at("sign").as_string(),
              "0xff85f16206fe3009c663ae813ec3fa7f6b5a8bb082cccaf540bbec3306c204b53c4c092fed72c33990a715e55ae0e78c4e4ba7"
              "557718fc806f0f9406567400cd1c");
    std::remove(path.c_str());
}

TEST(Utils, TxDecodeEip155Example) {
    // The EIP-155 specification's example transaction.
    auto r = utils_tx_decode(
        "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc21"
        "95fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d"
        "83");
    ASSERT_TRUE(r) << r.error().message;
    const auto& o = r->payload;
    EXPECT_EQ(o.at("type").as_int64(), 0);
    EXPECT_EQ(o.at("chainId").as_string(), "1");
    EXPECT_EQ(o.at("nonce").as_string(), "9");
    EXPECT_EQ(o.at("gasPrice").as_string(), "20000000000");
    EXPECT_EQ(o.at("gasLimit").as_string(), "21000");
    EXPECT_EQ(o.at("to").as_string(), "0x3535353535353535353535353535353535353535");
    EXPECT_EQ(o.at("value").as_string(), "1000000000000000000");
    EXPECT_EQ(o.at("from").as_string(), "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
    EXPECT_EQ(o.at("hash").as_string(), "0x33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788");
    EXPECT_FALSE(utils_tx_decode("0xf86c"));
    EXPECT_FALSE(utils_tx_decode("f86c"));
}

TEST(Utils, AbiEncode) {
    auto r = utils_abi_encode("transfer(address,uint256)", R"(["0x3535353535353535353535353535353535353535", "1000"])");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->human,
              "0xa9059cbb0000000000000000000000003535353535353535353535353535353535353535000000000000000000000000000000"
              "00000000000000000000000000000003e8");
    EXPECT_FALSE(utils_abi_encode("transfer(address,uint256)", R"(["0x35", "1000"])"));
    EXPECT_FALSE(utils_abi_encode("transfer(address,uint256)", R"({"a":1})"));
    EXPECT_FALSE(utils_abi_encode("transfer(address", R"([])"));
}

TEST(Cli, RawOutputIsOneJsonLine) {
    auto r = iexec({"utils", "keccak256", "iExecKitty", "--raw"});
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out, "{\"ok\":true,\"hash\":\"0x99c2268479b93fde36232351229815df80837e247066f0acfcf087b5d9321d3d\"}\n");
    r = iexec({"utils", "keccak256", "0xzz", "--raw"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
              "{\"ok\":false,\"command\":\"iexec utils keccak256\",\"error\":{\"name\":\"Error\",\"message\":\"input: "
              "invalid hex digit 'z' at position 2\"}}\n");
}

TEST(Cli, HumanOutputAndUsageErrors) {
    auto r = iexec(
        {"utils", "hash-order", "workerpool", "--order", kWorkerpoolOrder, "--chain-id", "31337", "--hub", kAnvilHub});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("orderHash:       0xcc9118c9113ef6d8e121fc663e7f6ac763cd88b5ac6dde4c098672aaf192e41c"),
              std::string::npos)
        << r.out;
    r = iexec({"utils", "keccak256", "0xzz"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("Command \"iexec utils keccak256\" failed with Error: input: invalid hex digit"),
              std::string::npos);
    r = iexec({"utils", "hash-order", "banana", "--order", "{}", "--chain-id", "1", "--hub", kAnvilHub});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("error:"), std::string::npos);
    r = iexec({"utils", "keccak256"});
    EXPECT_EQ(r.code, 1);
    r = iexec({"--version"});
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out, "0.1.0\n");
}

}  // namespace
}  // namespace wp::cli
