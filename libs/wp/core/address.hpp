#pragma once
// Address: a 20-byte Ethereum account, printed with its EIP-55 mixed-case checksum.

#include <string>
#include <string_view>

#include "bytes.hpp"
#include "result.hpp"

namespace wp {

class Address {
  public:
    constexpr Address() = default;
    explicit Address(const FixedBytes<20>& b) : b_(b) {}

    //! Parses "0x" + 40 hex digits. All-lowercase and all-uppercase are accepted without a
    //! checksum; a mixed-case string must match its EIP-55 checksum (Errc::kInvalidChecksum).
    static Result<Address> parse(std::string_view s);
    //! Exactly 20 bytes.
    static Result<Address> from_view(ByteView bytes);
    //! The low 20 bytes of a 32-byte word (an ABI-encoded address or a log topic).
    static Address from_word(const Bytes32& word);

    //! EIP-55 checksummed form, e.g. 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266.
    std::string to_checksum() const;
    //! All-lowercase 0x form.
    std::string to_lower_hex() const;

    //! The address left-padded to 32 bytes (abi.encode of an address).
    Bytes32 to_word() const;

    bool is_zero() const { return b_.is_zero(); }
    const FixedBytes<20>& bytes() const { return b_; }
    ByteView view() const { return b_.view(); }
    operator ByteView() const { return b_.view(); }  // NOLINT(google-explicit-constructor)

    friend bool operator==(const Address&, const Address&) = default;
    friend auto operator<=>(const Address&, const Address&) = default;

  private:
    FixedBytes<20> b_{};
};

}  // namespace wp
