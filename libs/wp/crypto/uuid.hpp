#pragma once
// Random (version 4) UUIDs, as written in the "id" field of keystore files.

#include <string>

#include <wp/core/bytes.hpp>

namespace wp {

//! The version-4 UUID built from 16 random bytes, the way ethers 6 `uuidV4(bytes)` does it
//! (RFC 9562 §5.4): byte 6 becomes 0x4X (version 4), byte 8 becomes 10XXXXXX (variant), and the
//! result is printed as lowercase 8-4-4-4-12 hex, e.g. "3198bc9c-6672-4ab3-9995-4942343ae5b6".
std::string uuid_v4(const FixedBytes<16>& random);

//! A fresh version-4 UUID from the operating system's CSPRNG.
std::string uuid_v4();

}  // namespace wp
