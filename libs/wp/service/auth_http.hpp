#pragma once
// Authentication as a function from a request's headers to an identity, so it plugs into a route today
// (require_auth) and into net's middleware filters later.
//
//  - challenge_authenticator: the market's `Authorization: <hash>_<signature>_<address>` (challenge.hpp), for one
//    chain id; refusals answer 403 {"ok":false,"error":"invalid authorization"} (market_auth_refusal()).
//  - bearer_authenticator: `Authorization: Bearer <token>` (token.hpp) for one audience; refusals answer 401
//    {"ok":false,"error":"invalid authorization"} with `WWW-Authenticate: Bearer` (bearer_auth_refusal()).
// The detailed reason of a refusal is logged (warn, field "reason", with the remote address), never sent.
//
// Thread safety: the authenticators are as thread-safe as the ChallengeAuth / TokenService they reference
// (both are), and must not outlive them.

#include <cstdint>
#include <functional>
#include <string>

#include <wp/core/address.hpp>
#include <wp/core/result.hpp>
#include <wp/net/http.hpp>
#include <wp/net/http_server.hpp>

#include "challenge.hpp"
#include "token.hpp"

namespace wp::service {

//! Who a request comes from, whatever the scheme.
struct Identity {
    Address address;
    std::uint64_t chain_id{0};  //!< challenge scheme: the chain of the challenge; bearer: 0
    std::string audience;       //!< bearer: the token's audience; challenge: ""
};

using Authenticator = std::function<Result<Identity>(const net::HttpHeaders&)>;

//! Verifies the market Authorization header against `auth` for `chain_id` (single use: a success consumes it).
Authenticator challenge_authenticator(ChallengeAuth& auth, std::uint64_t chain_id);
//! Verifies a bearer token for `audience`.
Authenticator bearer_authenticator(const TokenService& tokens, std::string audience);

//! The body of the market's GET /challenge answer: {"ok":true,"data":<typed data of the pending challenge>}.
Result<std::string> challenge_response_body(ChallengeAuth& auth, const Address& address, std::uint64_t chain_id);

//! 403 {"ok":false,"error":"invalid authorization"} (the market's answer).
net::HttpResponse market_auth_refusal();
//! 401 {"ok":false,"error":"invalid authorization"} with WWW-Authenticate: Bearer.
net::HttpResponse bearer_auth_refusal();

using AuthenticatedHandler = std::function<net::HttpResponse(const net::ServerRequest&, const Identity&)>;

//! A handler that runs `handler` with the identity, or logs the reason and answers `refusal`.
net::HttpHandler require_auth(Authenticator authenticator, AuthenticatedHandler handler,
                              net::HttpResponse refusal = market_auth_refusal());

}  // namespace wp::service
