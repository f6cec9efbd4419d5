#pragma once
// The resource multiaddr of apps and datasets as the iExec SDK 9.0.1 stores it on chain (utils.js
// humanToMultiaddrBuffer / multiaddrHexToHuman with @multiformats/multiaddr): an IPFS address
// `/ipfs/<base58 CIDv0>` (or `/p2p/<...>`) is stored in the multiaddr binary format (varint protocol 421, varint
// length, the multihash bytes) and shown back as `/p2p/<base58>`; any other text (a Docker image, a URL) is stored
// as its UTF-8 bytes and shown as is.
//
// Difference from the SDK: other binary multiaddr protocols (/ip4/..., /dns/...) are refused at encoding
// (`<field>: multiaddr <text>: only /ipfs/<CID> multiaddrs are supported`) instead of being encoded.
// Pure functions; thread-safe. decode_multiaddr reads bytes from the chain (untrusted): fuzzed in multiaddr_fuzz.cpp.

#include <string>
#include <string_view>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

namespace wp::cli {

//! The bytes to store for `text`. Errc::kInvalidArgument: a `/...` text that is not `/ipfs|p2p/<valid base58
//! multihash>` (message prefixed with `field`).
Result<Bytes> encode_multiaddr(std::string_view text, std::string_view field);

//! The text the SDK shows for stored bytes: `/p2p/<base58>` for a binary p2p multiaddr, else the bytes as text.
std::string decode_multiaddr(ByteView bytes);

//! Bitcoin base58 (the IPFS alphabet). base58_decode: nullopt-like error on a character outside the alphabet.
std::string base58_encode(ByteView bytes);
Result<Bytes> base58_decode(std::string_view text);

}  // namespace wp::cli
