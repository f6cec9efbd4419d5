// The multiaddr codec against what the iExec SDK 9.0.1 writes and shows (observed on anvil: `dataset deploy` of
// the default dataset, then `dataset show` prints /p2p/<CID>).
#include <gtest/gtest.h>

#include <wp/core/hex.hpp>

#include "multiaddr.hpp"

namespace wp::cli {
namespace {

constexpr std::string_view kCid = "QmW2WQi7j6c7UgJTarActp7tDNikE4B2qXtFCfLPdsgaTQ";

TEST(Multiaddr, EncodesAnIpfsAddressInTheBinaryFormatAndShowsItAsP2p) {
    auto bytes = encode_multiaddr("/ipfs/" + std::string(kCid), "dataset.multiaddr");
    ASSERT_TRUE(bytes) << bytes.error().message;
    ASSERT_EQ(bytes->size(), 37u);
    // varint(421) = a5 03, length 34, then the sha2-256 multihash (12 20 ...).
    EXPECT_EQ(to_hex(ByteView(*bytes).first(5)), "0xa503221220");
    EXPECT_EQ(decode_multiaddr(*bytes), "/p2p/" + std::string(kCid));
    EXPECT_EQ(*encode_multiaddr("/p2p/" + std::string(kCid), "x"), *bytes);
}

TEST(Multiaddr, KeepsOtherTextAsUtf8) {
    auto bytes = encode_multiaddr("iexechub/python-hello-world:8.0.4", "app.multiaddr");
    ASSERT_TRUE(bytes);
    EXPECT_EQ(decode_multiaddr(*bytes), "iexechub/python-hello-world:8.0.4");
    EXPECT_EQ(decode_multiaddr(Bytes{}), "");
    // A p2p prefix with a wrong length is shown as text, as the SDK falls back to the bytes.
    const Bytes odd{0xa5, 0x03, 0x05, 0x41};
    EXPECT_EQ(decode_multiaddr(odd).size(), 4u);
}

TEST(Multiaddr, RefusesWhatItCannotEncodeNamingTheField) {
    for (std::string_view text : {"/ipfs/", "/ipfs/0OIl", "/ip4/127.0.0.1/tcp/80", "/ipfs/QmW2WQi7/x", "/ipfs/abc"}) {
        auto bytes = encode_multiaddr(text, "dataset.multiaddr");
        ASSERT_FALSE(bytes) << text;
        EXPECT_EQ(bytes.error().message,
                  "dataset.multiaddr: multiaddr " + std::string(text) + ": only /ipfs/<CID> multiaddrs are supported");
    }
}

TEST(Multiaddr, Base58RoundTripsWithLeadingZeros) {
    const Bytes data{0, 0, 1, 2, 255};
    EXPECT_EQ(base58_encode(data).substr(0, 2), "11");
    EXPECT_EQ(*base58_decode(base58_encode(data)), data);
    EXPECT_EQ(base58_encode(Bytes{}), "");
    EXPECT_FALSE(base58_decode("0"));
}

}  // namespace
}  // namespace wp::cli
