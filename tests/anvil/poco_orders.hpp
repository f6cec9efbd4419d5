#pragma once
// Shared helpers of the differential PoCo tests (match_codes_anvil_test.cpp, poco2_anvil_test.cpp): the three assets
// of local-chain.md §5, the four orders signed with OUR EIP-712 code, balances, revert comparison. Built on
// PocoFixture (one devnet per group, snapshot / revert per test).

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <wp/chain/hub.hpp>
#include <wp/chain/revert.hpp>
#include <wp/core/hex.hpp>
#include <wp/protocol/match.hpp>
#include <wp/protocol/order.hpp>
#include <wp/protocol/types.hpp>

#include "poco_fixture.hpp"

namespace wp::test {

inline Bytes32 b32(std::string_view s) { return bytes32_from_hex(s).value(); }
inline Bytes bytes_of(std::string_view s) { return Bytes(as_bytes(s).begin(), as_bytes(s).end()); }

struct Assets {
    Address app;
    Address dataset;
    Address workerpool;
};

struct Orders {
    AppOrder app;
    DatasetOrder dataset;  //!< zero when the deal has no dataset
    WorkerpoolOrder workerpool;
    RequestOrder request;
};

// Prices of local-chain.md §5 (app 5, workerpool 10) plus a dataset at 2 nRLC.
inline const U256 kAppPrice(5);
inline const U256 kDatasetPrice(2);
inline const U256 kWorkerpoolPrice(10);

//! The first revert of a Hub dry run, as the protocol library names it (match.hpp RevertKind + reason).
struct ChainRevert {
    RevertKind kind{RevertKind::kEmpty};
    std::string reason;
    friend bool operator==(const ChainRevert&, const ChainRevert&) = default;
};

inline std::ostream& operator<<(std::ostream& os, const ChainRevert& r) {
    const char* kinds[] = {"reason", "empty", "panic"};
    return os << "{" << kinds[static_cast<int>(r.kind)] << " \"" << r.reason << "\"}";
}

//! MatchRevert / TaskRevert → ChainRevert.
inline ChainRevert as_chain_revert(const MatchRevert& r) { return {r.kind, r.reason}; }

//! A decoded revert → ChainRevert ("Panic(0x11)" for panics, the shape match.hpp uses); nullopt for a non-revert error.
inline std::optional<ChainRevert> as_chain_revert(const chain::HubError& e) {
    if (!e.revert) return std::nullopt;
    switch (e.revert->kind) {
        case chain::DecodedRevert::Kind::kEmpty: return ChainRevert{RevertKind::kEmpty, ""};
        case chain::DecodedRevert::Kind::kErrorString: return ChainRevert{RevertKind::kReason, e.revert->reason};
        case chain::DecodedRevert::Kind::kPanic: {
            std::string code = e.revert->panic_code.to_hex_quantity();  // "0x11"
            if (code.size() == 3) code.insert(2, "0");
            return ChainRevert{RevertKind::kPanic, "Panic(" + code + ")"};
        }
        default: return ChainRevert{RevertKind::kReason, e.revert->to_string()};
    }
}

class PocoOrdersFixture : public PocoFixture {
  protected:
    static Domain domain() { return Domain::iexec(U256(info().chain_id), info().hub); }

    static chain::AppParams app_params(std::string name = "hello-app") {
        chain::AppParams p;
        p.owner = address(kAppOwner);
        p.name = std::move(name);
        p.multiaddr = bytes_of("docker.io/iexechub/hello:1.0.0");
        p.checksum = b32("0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
        return p;
    }
    static chain::DatasetParams dataset_params() {
        chain::DatasetParams p;
        p.owner = address(kDatasetOwner);
        p.name = "hello-dataset";
        p.multiaddr = bytes_of("ipfs://QmHelloDataset");
        p.checksum = b32("0xffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100");
        return p;
    }
    static chain::WorkerpoolParams workerpool_params() { return {address(kScheduler), "hello-pool"}; }

    //! Creates the app, the dataset and the workerpool at their predicted addresses.
    static Assets create_assets() {
        Assets assets;
        assets.app = hub().predict_app(app_params()).value();
        auto r1 = send(hub().create_app(app_params()), key(kAppOwner));
        EXPECT_TRUE(r1) << r1.error().message;
        assets.dataset = hub().predict_dataset(dataset_params()).value();
        auto r2 = send(hub().create_dataset(dataset_params()), key(kDatasetOwner));
        EXPECT_TRUE(r2) << r2.error().message;
        assets.workerpool = hub().predict_workerpool(workerpool_params()).value();
        auto r3 = send(hub().create_workerpool(workerpool_params()), key(kScheduler));
        EXPECT_TRUE(r3) << r3.error().message;
        return assets;
    }

    //! Unsigned orders of local-chain.md §5 (category 0, tag 0); sign_all() signs them.
    static Orders make_orders(const Assets& assets, const U256& volume, bool with_dataset, std::uint64_t salt,
                              std::uint64_t trust = 1) {
        Orders o;
        o.app.app = assets.app;
        o.app.appprice = kAppPrice;
        o.app.volume = volume;
        o.app.salt = U256(salt).to_be32();
        if (with_dataset) {
            o.dataset.dataset = assets.dataset;
            o.dataset.datasetprice = kDatasetPrice;
            o.dataset.volume = volume;
            o.dataset.salt = U256(salt + 1).to_be32();
        }
        o.workerpool.workerpool = assets.workerpool;
        o.workerpool.workerpoolprice = kWorkerpoolPrice;
        o.workerpool.volume = volume;
        o.workerpool.category = U256(0);
        o.workerpool.trust = U256(trust);
        o.workerpool.salt = U256(salt + 2).to_be32();
        o.request.app = assets.app;
        o.request.appmaxprice = kAppPrice;
        if (with_dataset) {
            o.request.dataset = assets.dataset;
            o.request.datasetmaxprice = kDatasetPrice;
        }
        o.request.workerpool = assets.workerpool;
        o.request.workerpoolmaxprice = kWorkerpoolPrice;
        o.request.requester = address(kRequester);
        o.request.volume = volume;
        o.request.category = U256(0);
        o.request.trust = U256(trust);
        o.request.beneficiary = address(kRequester);
        o.request.params = R"({"iexec_args":"hello"})";
        o.request.salt = U256(salt + 3).to_be32();
        return sign_all(o);
    }

    //! Signs each order with its owner's dev key (the dataset only when there is one).
    static Orders sign_all(Orders o) {
        o.app.sign = sign_order(domain(), Order(o.app), key(kAppOwner));
        if (!o.dataset.dataset.is_zero()) o.dataset.sign = sign_order(domain(), Order(o.dataset), key(kDatasetOwner));
        o.workerpool.sign = sign_order(domain(), Order(o.workerpool), key(kScheduler));
        o.request.sign = sign_order(domain(), Order(o.request), key(kRequester));
        return o;
    }

    //! viewAccount of each account (stake = free, locked = frozen).
    static std::map<Address, Account> accounts(const std::vector<Address>& who) {
        std::map<Address, Account> out;
        for (const auto& a : who) {
            auto account = hub().view_account(a);
            EXPECT_TRUE(account) << account.error().message;
            if (account) out[a] = *account;
        }
        return out;
    }
};

}  // namespace wp::test
