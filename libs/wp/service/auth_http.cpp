#include "auth_http.hpp"

#include <boost/json/serialize.hpp>

#include "logging.hpp"

namespace wp::service {

Authenticator challenge_authenticator(ChallengeAuth& auth, std::uint64_t chain_id) {
    return [&auth, chain_id](const net::HttpHeaders& headers) -> Result<Identity> {
        const auto header = net::find_header(headers, "authorization");
        if (!header) return make_error(Errc::kInvalidArgument, "authorization: missing header");
        WP_TRY(auto id, auth.verify(*header, chain_id));
        return Identity{id.address, id.chain_id, ""};
    };
}

Authenticator bearer_authenticator(const TokenService& tokens, std::string audience) {
    return [&tokens, audience = std::move(audience)](const net::HttpHeaders& headers) -> Result<Identity> {
        const auto header = net::find_header(headers, "authorization");
        if (!header) return make_error(Errc::kInvalidArgument, "authorization: missing header");
        WP_TRY(auto claims, tokens.verify_bearer(*header, audience));
        return Identity{claims.subject, 0, claims.audience};
    };
}

Result<std::string> challenge_response_body(ChallengeAuth& auth, const Address& address, std::uint64_t chain_id) {
    WP_TRY(auto doc, auth.challenge_document(address, chain_id));
    boost::json::object body;
    body["ok"] = true;
    body["data"] = std::move(doc);
    return boost::json::serialize(body);
}

net::HttpResponse market_auth_refusal() {
    return net::HttpResponse::json(403, R"({"ok":false,"error":"invalid authorization"})");
}

net::HttpResponse bearer_auth_refusal() {
    auto r = net::HttpResponse::json(401, R"({"ok":false,"error":"invalid authorization"})");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
}

net::HttpHandler require_auth(Authenticator authenticator, AuthenticatedHandler handler, net::HttpResponse refusal) {
    return [authenticator = std::move(authenticator), handler = std::move(handler),
            refusal = std::move(refusal)](const net::ServerRequest& request) {
        auto id = authenticator(request.headers);
        if (!id) {
            log_warn("authorization refused",
                     {{"path", request.path}, {"remote", request.remote}, {"reason", id.error().message}});
            return refusal;
        }
        return handler(request, *id);
    };
}

}  // namespace wp::service
