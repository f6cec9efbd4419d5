// libFuzzer target for the ABI decoder.
//
// The first input byte picks one of a fixed set of parameter lists (elementary types, nested dynamic tuples and
// arrays, the PoCo order tuples); the rest is decoded strictly. Properties checked:
//   - strict success  => abi_encode(values) == input exactly (strict accepts only the canonical encoding),
//                        lenient decoding gives the same values, and the JSON bridge round-trips the values;
//   - lenient success => its re-encoding decodes strictly to the same values.
// Any violation aborts.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <wp/codec/abi.hpp>

namespace {

constexpr std::string_view kTypeLists[] = {
    "uint256",
    "uint8,int16,bool,address,bytes3,int256,uint128",
    "bytes",
    "string",
    "bytes,bool,uint256[]",
    "uint256,uint32[],bytes10,bytes",
    "uint256[][],string[]",
    "(uint8,(string,bytes32[])[2],int16[]),string[][],int256,int8",
    "(address a,uint256 b,bytes c)[]",
    "string[2][],bytes[][3]",
    "(bool,(bytes,(string[],uint8)[])[])",
    "int8[3],(uint16,bytes2)[2],(bool,address)",
    "uint256[][][],(string)[]",
    "(address app,uint256 appprice,uint256 volume,bytes32 tag,address datasetrestrict,address workerpoolrestrict,"
    "address requesterrestrict,bytes32 salt,bytes sign),"
    "(address dataset,uint256 datasetprice,uint256 volume,bytes32 tag,address apprestrict,address workerpoolrestrict,"
    "address requesterrestrict,bytes32 salt,bytes sign),"
    "(address workerpool,uint256 workerpoolprice,uint256 volume,bytes32 tag,uint256 category,uint256 trust,"
    "address apprestrict,address datasetrestrict,address requesterrestrict,bytes32 salt,bytes sign),"
    "(address app,uint256 appmaxprice,address dataset,uint256 datasetmaxprice,address workerpool,"
    "uint256 workerpoolmaxprice,address requester,uint256 volume,bytes32 tag,uint256 category,uint256 trust,"
    "address beneficiary,address callback,string params,bytes32 salt,bytes sign)",
    "(uint8 status,bytes32 dealid,uint256 idx,uint256 timeref,uint256 contributionDeadline,uint256 revealDeadline,"
    "uint256 finalDeadline,bytes32 consensusValue,uint256 revealCounter,uint256 winnerCounter,address[] contributors,"
    "bytes32 resultDigest,bytes results,uint256 resultsTimestamp,bytes resultsCallback)",
};
constexpr std::size_t kListCount = sizeof(kTypeLists) / sizeof(kTypeLists[0]);

const std::vector<std::vector<wp::AbiType>>& type_lists() {
    static const std::vector<std::vector<wp::AbiType>> lists = [] {
        std::vector<std::vector<wp::AbiType>> out;
        for (std::string_view s : kTypeLists) {
            auto parsed = wp::parse_abi_type_list(s);
            if (!parsed) std::abort();
            out.push_back(std::move(*parsed));
        }
        return out;
    }();
    return lists;
}

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto& types = type_lists()[data[0] % kListCount];
    const wp::ByteView input(data + 1, size - 1);

    auto strict = wp::abi_decode(types, input);
    if (strict) {
        auto encoded = wp::abi_encode(types, *strict);
        check(encoded.has_value());
        check(encoded->size() == input.size() && std::equal(encoded->begin(), encoded->end(), input.begin()));
        auto lenient = wp::abi_decode(types, input, {.strictness = wp::AbiStrictness::kLenient});
        check(lenient.has_value() && *lenient == *strict);
        auto json = wp::values_to_json(types, *strict);
        check(json.has_value());
        auto back = wp::values_from_json(types, boost::json::value(*json));
        check(back.has_value() && *back == *strict);
        return 0;
    }

    auto lenient = wp::abi_decode(types, input, {.strictness = wp::AbiStrictness::kLenient});
    if (lenient) {
        auto encoded = wp::abi_encode(types, *lenient);
        check(encoded.has_value());
        auto again = wp::abi_decode(types, *encoded);
        check(again.has_value() && *again == *lenient);
    }
    return 0;
}
