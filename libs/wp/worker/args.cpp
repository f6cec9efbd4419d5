#include "args.hpp"

namespace wp::worker {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

Error at(std::string_view what, std::size_t offset) {
    return Error{Errc::kInvalidArgument, "iexec_args: " + std::string(what) + " at offset " + std::to_string(offset)};
}

}  // namespace

Result<std::vector<std::string>> split_args(std::string_view in) {
    if (in.size() > kMaxArgsBytes)
        return make_error(Errc::kInvalidArgument, "iexec_args: longer than " + std::to_string(kMaxArgsBytes) +
                                                      " bytes (" + std::to_string(in.size()) + ")");
    std::vector<std::string> out;
    std::string word;
    bool in_word = false;
    std::size_t i = 0;
    const std::size_t n = in.size();
    auto finish = [&]() -> Result<void> {
        if (!in_word) return {};
        if (out.size() == kMaxArgs)
            return make_error(Errc::kInvalidArgument, "iexec_args: more than " + std::to_string(kMaxArgs) + " words");
        out.push_back(std::move(word));
        word.clear();
        in_word = false;
        return {};
    };
    while (i < n) {
        const char c = in[i];
        if (c == '\0') return make_error(at("NUL byte", i));
        if (is_blank(c)) {
            WP_TRY_VOID(finish());
            ++i;
            continue;
        }
        in_word = true;
        if (c == '\'') {
            const std::size_t open = i++;
            while (i < n && in[i] != '\'') {
                if (in[i] == '\0') return make_error(at("NUL byte", i));
                word.push_back(in[i++]);
            }
            if (i == n) return make_error(at("unbalanced single quote opened", open));
            ++i;
        } else if (c == '"') {
            const std::size_t open = i++;
            while (i < n && in[i] != '"') {
                if (in[i] == '\0') return make_error(at("NUL byte", i));
                if (in[i] == '\\' && i + 1 < n && (in[i + 1] == '"' || in[i + 1] == '\\')) {
                    word.push_back(in[i + 1]);
                    i += 2;
                } else {
                    word.push_back(in[i++]);
                }
            }
            if (i == n) return make_error(at("unbalanced double quote opened", open));
            ++i;
        } else if (c == '\\') {
            if (i + 1 == n) return make_error(at("trailing backslash", i));
            if (in[i + 1] == '\0') return make_error(at("NUL byte", i + 1));
            word.push_back(in[i + 1]);
            i += 2;
        } else {
            word.push_back(c);
            ++i;
        }
    }
    WP_TRY_VOID(finish());
    return out;
}

}  // namespace wp::worker
