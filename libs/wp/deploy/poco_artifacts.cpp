#include "poco_artifacts.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <system_error>
#include <utility>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>

namespace wp {
namespace {

namespace json = boost::json;

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

char to_lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

tl::unexpected<Error> field_error(const std::string& file, std::string_view field, std::string_view what) {
    return make_error(Errc::kDecoding, file + ": field '" + std::string(field) + "': " + std::string(what));
}

Result<json::value> read_json_file(const std::filesystem::path& path) {
    const std::string file = path.string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return make_error(Errc::kIo, file + ": no such file");
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) return make_error(Errc::kIo, file + ": " + ec.message());
    if (size > kMaxArtifactFileSize)
        return make_error(Errc::kIo, file + ": " + std::to_string(size) + " bytes exceeds the limit of " +
                                         std::to_string(kMaxArtifactFileSize));
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(Errc::kIo, file + ": cannot open");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return make_error(Errc::kIo, file + ": read error");
    boost::system::error_code jec;
    json::value doc = json::parse(text, jec);
    if (jec) return make_error(Errc::kDecoding, file + ": invalid JSON: " + jec.message());
    if (!doc.is_object()) return make_error(Errc::kDecoding, file + ": the top level is not a JSON object");
    return doc;
}

// Creation bytecode: "0x" + hex; placeholders only where `allowed` (hex-char positions) says so.
Result<std::string> read_bytecode(const std::string& file, const json::object& obj,
                                  const std::vector<LinkReference>& refs) {
    const json::value* v = obj.if_contains("bytecode");
    if (v == nullptr) return field_error(file, "bytecode", "missing");
    const json::string* s = v->if_string();
    if (s == nullptr) return field_error(file, "bytecode", "not a string");
    std::string_view text(s->data(), s->size());
    if (!has_hex_prefix(text)) return field_error(file, "bytecode", "missing 0x prefix");
    text.remove_prefix(2);
    if (text.empty()) return field_error(file, "bytecode", "empty (abstract contract or interface?)");
    if (text.size() % 2 != 0) return field_error(file, "bytecode", "odd number of hex digits");
    std::vector<bool> linked(text.size(), false);
    for (const auto& ref : refs) {
        const std::size_t begin = ref.start * 2;
        if (begin + kLibraryPlaceholderHexLength > text.size())
            return field_error(file, "linkReferences",
                               "offset " + std::to_string(ref.start) + " is beyond the end of the bytecode");
        const std::string_view ph = text.substr(begin, kLibraryPlaceholderHexLength);
        const bool shaped = ph.substr(0, 3) == "__$" && ph.substr(kLibraryPlaceholderHexLength - 3) == "$__" &&
                            std::all_of(ph.begin() + 3, ph.end() - 3, is_hex_digit);
        if (!shaped)
            return field_error(file, "bytecode",
                               "no library placeholder __$…$__ at linkReferences offset " + std::to_string(ref.start));
        std::fill(linked.begin() + static_cast<std::ptrdiff_t>(begin),
                  linked.begin() + static_cast<std::ptrdiff_t>(begin + kLibraryPlaceholderHexLength), true);
    }
    std::string out(text.size(), '0');
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (!linked[i] && !is_hex_digit(c)) {
            std::string what = "invalid hex digit '" + std::string(1, c) + "' at byte offset " + std::to_string(i / 2);
            if (c == '_') what += " (a library placeholder not listed in linkReferences)";
            return field_error(file, "bytecode", what);
        }
        out[i] = to_lower_ascii(c);
    }
    return out;
}

Result<std::vector<LinkReference>> read_link_references(const std::string& file, const json::object& obj) {
    std::vector<LinkReference> refs;
    const json::value* v = obj.if_contains("linkReferences");
    if (v == nullptr) return field_error(file, "linkReferences", "missing");
    const json::object* sources = v->if_object();
    if (sources == nullptr) return field_error(file, "linkReferences", "not an object");
    for (const auto& [source, libs_value] : *sources) {
        const std::string where = "linkReferences." + std::string(source);
        const json::object* libs = libs_value.if_object();
        if (libs == nullptr) return field_error(file, where, "not an object");
        for (const auto& [library, entries_value] : *libs) {
            const std::string lwhere = where + "." + std::string(library);
            const json::array* entries = entries_value.if_array();
            if (entries == nullptr) return field_error(file, lwhere, "not an array");
            for (std::size_t i = 0; i < entries->size(); ++i) {
                const std::string ewhere = lwhere + "[" + std::to_string(i) + "]";
                const json::object* e = (*entries)[i].if_object();
                if (e == nullptr) return field_error(file, ewhere, "not an object");
                const json::value* start = e->if_contains("start");
                const json::value* length = e->if_contains("length");
                if (start == nullptr || !start->is_int64() || start->as_int64() < 0)
                    return field_error(file, ewhere + ".start", "missing or not a non-negative integer");
                if (length == nullptr || !length->is_int64() || length->as_int64() != 20)
                    return field_error(file, ewhere + ".length", "missing or not 20");
                refs.push_back(LinkReference{std::string(source), std::string(library),
                                             static_cast<std::size_t>(start->as_int64()), 20});
            }
        }
    }
    std::sort(refs.begin(), refs.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
    for (std::size_t i = 1; i < refs.size(); ++i)
        if (refs[i].start < refs[i - 1].start + refs[i - 1].length)
            return field_error(file, "linkReferences",
                               "overlapping entries at byte offset " + std::to_string(refs[i].start));
    return refs;
}

Result<json::array> read_abi(const std::string& file, const json::object& obj, bool required) {
    const json::value* v = obj.if_contains("abi");
    if (v == nullptr) {
        if (required) return field_error(file, "abi", "missing");
        return json::array{};
    }
    const json::array* a = v->if_array();
    if (a == nullptr) return field_error(file, "abi", "not an array");
    return *a;
}

std::string array_suffix_of(std::string_view type, std::string_view base) {
    return std::string(type.substr(base.size()));
}

Result<std::string> param_type(const json::value& param, AbiSignatureStyle style, std::size_t depth) {
    if (depth > kAbiMaxTypeDepth) return make_error(Errc::kDecoding, "ABI parameter nested too deeply");
    const json::object* obj = param.if_object();
    if (obj == nullptr) return make_error(Errc::kDecoding, "ABI parameter is not an object");
    const json::value* tv = obj->if_contains("type");
    const json::string* ts = tv != nullptr ? tv->if_string() : nullptr;
    if (ts == nullptr) return make_error(Errc::kDecoding, "ABI parameter has no string 'type'");
    const std::string_view type(ts->data(), ts->size());

    if (style == AbiSignatureStyle::kLibrary) {
        if (const json::value* iv = obj->if_contains("internalType")) {
            if (const json::string* is = iv->if_string()) {
                const std::string_view internal(is->data(), is->size());
                for (std::string_view prefix : {std::string_view("struct "), std::string_view("enum ")})
                    if (internal.substr(0, prefix.size()) == prefix) return std::string(internal.substr(prefix.size()));
            }
        }
    }
    if (type.substr(0, 5) != "tuple") return std::string(type);

    const std::string suffix = array_suffix_of(type, "tuple");
    if (!suffix.empty() && suffix.front() != '[')
        return make_error(Errc::kDecoding, "ABI parameter type '" + std::string(type) + "' is not a tuple type");
    const json::value* cv = obj->if_contains("components");
    const json::array* components = cv != nullptr ? cv->if_array() : nullptr;
    if (components == nullptr || components->empty())
        return make_error(Errc::kDecoding, "tuple ABI parameter without a non-empty 'components' array");
    std::string out = "(";
    for (std::size_t i = 0; i < components->size(); ++i) {
        auto t = param_type((*components)[i], style, depth + 1);
        if (!t) return make_error(t.error().with_context("component " + std::to_string(i)));
        if (i != 0) out += ',';
        out += *t;
    }
    out += ')';
    out += suffix;
    return out;
}

}  // namespace

std::size_t ContractArtifact::placeholder_count() const {
    std::size_t n = 0;
    for (std::size_t pos = bytecode_hex.find("__$"); pos != std::string::npos;
         pos = bytecode_hex.find("__$", pos + kLibraryPlaceholderHexLength))
        ++n;
    return n;
}

Result<Bytes> ContractArtifact::creation_code() const {
    const std::size_t pos = bytecode_hex.find("__$");
    if (pos != std::string::npos)
        return make_error(Errc::kInvalidArgument, file + ": unlinked library placeholder " +
                                                      bytecode_hex.substr(pos, std::min(kLibraryPlaceholderHexLength,
                                                                                        bytecode_hex.size() - pos)) +
                                                      " at byte offset " + std::to_string(pos / 2));
    auto bytes = from_hex("0x" + bytecode_hex);
    if (!bytes) return make_error(bytes.error().with_context(file + ": bytecode"));
    if (bytes->size() > kMaxInitcodeSize)
        return make_error(Errc::kInvalidArgument, file + ": creation code of " + std::to_string(bytes->size()) +
                                                      " bytes exceeds the EIP-3860 limit of " +
                                                      std::to_string(kMaxInitcodeSize));
    return bytes;
}

std::string library_placeholder(std::string_view source, std::string_view library) {
    const std::string fqn = std::string(source) + ":" + std::string(library);
    const Bytes32 h = keccak256(as_bytes(fqn));
    return "__$" + to_hex_no_prefix(ByteView(h.data(), 17)) + "$__";
}

Result<ContractArtifact> read_hardhat_artifact(const std::filesystem::path& path) {
    WP_TRY(json::value doc, read_json_file(path));
    const json::object& obj = doc.get_object();
    ContractArtifact out;
    out.file = path.string();
    const json::value* fmt = obj.if_contains("_format");
    if (fmt == nullptr || !fmt->is_string() || fmt->get_string() != "hh-sol-artifact-1")
        return field_error(out.file, "_format", "missing or not \"hh-sol-artifact-1\"");
    const json::value* name = obj.if_contains("contractName");
    if (name == nullptr || !name->is_string() || name->get_string().empty())
        return field_error(out.file, "contractName", "missing or not a non-empty string");
    out.name = std::string(name->get_string());
    WP_TRY(out.abi, read_abi(out.file, obj, true));
    WP_TRY(out.link_references, read_link_references(out.file, obj));
    WP_TRY(out.bytecode_hex, read_bytecode(out.file, obj, out.link_references));
    return out;
}

Result<ContractArtifact> read_deployment_artifact(const std::filesystem::path& path) {
    WP_TRY(json::value doc, read_json_file(path));
    const json::object& obj = doc.get_object();
    ContractArtifact out;
    out.file = path.string();
    out.name = path.stem().string();
    WP_TRY(out.abi, read_abi(out.file, obj, false));
    WP_TRY(out.bytecode_hex, read_bytecode(out.file, obj, {}));
    return out;
}

Result<ContractArtifact> link_library(const ContractArtifact& artifact, std::string_view source,
                                      std::string_view library, const Address& library_address,
                                      std::size_t* occurrences) {
    const std::string placeholder = library_placeholder(source, library);
    const std::string address_hex = to_hex_no_prefix(library_address.view());
    ContractArtifact out = artifact;
    std::size_t n = 0;
    for (const auto& ref : artifact.link_references) {
        if (ref.source != source || ref.library != library) continue;
        const std::size_t begin = ref.start * 2;
        if (ref.length != 20 || begin + kLibraryPlaceholderHexLength > out.bytecode_hex.size() ||
            out.bytecode_hex.compare(begin, kLibraryPlaceholderHexLength, placeholder) != 0)
            return make_error(Errc::kInvalidArgument, artifact.file + ": link reference at byte offset " +
                                                          std::to_string(ref.start) +
                                                          " does not hold the placeholder " + placeholder + " of " +
                                                          std::string(source) + ":" + std::string(library));
        out.bytecode_hex.replace(begin, kLibraryPlaceholderHexLength, address_hex);
        ++n;
    }
    if (n == 0)
        return make_error(Errc::kInvalidArgument,
                          artifact.file + ": no link reference to " + std::string(source) + ":" + std::string(library));
    if (occurrences != nullptr) *occurrences = n;
    return out;
}

Result<std::string> abi_json_param_type(const json::value& param, AbiSignatureStyle style) {
    WP_TRY(std::string type, param_type(param, style, 0));
    if (style == AbiSignatureStyle::kContract) {
        auto parsed = parse_abi_type(type);
        if (!parsed) return make_error(Errc::kDecoding, "ABI parameter type '" + type + "': " + parsed.error().message);
        return parsed->canonical();
    }
    return type;
}

Result<std::string> abi_json_function_signature(const json::value& entry, AbiSignatureStyle style) {
    const json::object* obj = entry.if_object();
    if (obj == nullptr) return make_error(Errc::kDecoding, "ABI entry is not an object");
    const json::value* name = obj->if_contains("name");
    if (name == nullptr || !name->is_string() || name->get_string().empty())
        return make_error(Errc::kDecoding, "ABI function without a non-empty 'name'");
    std::string out(name->get_string());
    out += '(';
    if (const json::value* inputs = obj->if_contains("inputs")) {
        const json::array* arr = inputs->if_array();
        if (arr == nullptr)
            return make_error(Errc::kDecoding,
                              "ABI function '" + std::string(name->get_string()) + "': 'inputs' is not an array");
        for (std::size_t i = 0; i < arr->size(); ++i) {
            auto t = abi_json_param_type((*arr)[i], style);
            if (!t)
                return make_error(t.error().with_context("ABI function '" + std::string(name->get_string()) +
                                                         "' input " + std::to_string(i)));
            if (i != 0) out += ',';
            out += *t;
        }
    }
    out += ')';
    return out;
}

Result<std::vector<AbiSelector>> abi_json_selectors(const json::array& abi, AbiSignatureStyle style) {
    std::vector<AbiSelector> out;
    std::set<AbiSelector> seen;
    for (std::size_t i = 0; i < abi.size(); ++i) {
        const std::string where = "ABI entry " + std::to_string(i);
        const json::object* obj = abi[i].if_object();
        const json::value* tv = obj != nullptr ? obj->if_contains("type") : nullptr;
        if (tv == nullptr || !tv->is_string()) return make_error(Errc::kDecoding, where + ": no string 'type'");
        const std::string_view type(tv->get_string().data(), tv->get_string().size());
        AbiSelector sel;
        if (type == "function") {
            auto sig = abi_json_function_signature(abi[i], style);
            if (!sig) return make_error(sig.error().with_context(where));
            if (style == AbiSignatureStyle::kContract) {
                auto parsed = parse_abi_signature(*sig);
                if (!parsed) return make_error(parsed.error().with_context(where + " (" + *sig + ")"));
                sel = parsed->selector();
            } else {
                const Bytes32 h = keccak256(as_bytes(*sig));
                std::copy_n(h.begin(), 4, sel.bytes.begin());
            }
        } else if (type == "receive") {
            sel = AbiSelector{};
        } else if (type == "fallback") {
            sel.bytes = {0xff, 0xff, 0xff, 0xff};
        } else {
            continue;
        }
        if (!seen.insert(sel).second)
            return make_error(Errc::kDecoding, where + ": duplicate selector " + to_hex(sel.view()));
        out.push_back(sel);
    }
    return out;
}

Result<PocoArtifacts> load_poco_artifacts(const std::filesystem::path& package_dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(package_dir / "artifacts", ec) ||
        !std::filesystem::is_directory(package_dir / "deployments", ec))
        return make_error(Errc::kIo, package_dir.string() +
                                         ": not an unpacked @iexec/poco package (no artifacts/ and deployments/); "
                                         "run scripts/install-deps.sh");
    const auto deployed = [&](std::string_view name) {
        return read_deployment_artifact(package_dir / "deployments" / "arbitrumSepolia" /
                                        (std::string(name) + ".json"));
    };
    const auto compiled = [&](std::string_view subdir, std::string_view name) -> Result<ContractArtifact> {
        const std::string n(name);
        WP_TRY(ContractArtifact a, read_hardhat_artifact(package_dir / "artifacts" / "contracts" / std::string(subdir) /
                                                         (n + ".sol") / (n + ".json")));
        if (a.name != n)
            return make_error(Errc::kDecoding,
                              a.file + ": field 'contractName': '" + a.name + "', expected '" + n + "'");
        return a;
    };
    PocoArtifacts out;
    out.package_dir = package_dir;
    WP_TRY(out.rlc, deployed("RLC"));
    WP_TRY(out.diamond_init, deployed("DiamondInit"));
    WP_TRY(out.diamond_cut_facet, deployed("DiamondCutFacet"));
    WP_TRY(out.diamond_loupe_facet, deployed("DiamondLoupeFacet"));
    WP_TRY(out.ownership_facet, deployed("OwnershipFacet"));
    WP_TRY(out.diamond, compiled("", "Diamond"));
    WP_TRY(out.lib_orders, compiled("libs", kIexecLibOrdersName));
    for (std::string_view facet : kPocoTokenFacets) {
        WP_TRY(ContractArtifact a, compiled("facets", facet));
        out.facets.push_back(std::move(a));
    }
    WP_TRY(out.app_registry, compiled("registries/apps", "AppRegistry"));
    WP_TRY(out.dataset_registry, compiled("registries/datasets", "DatasetRegistry"));
    WP_TRY(out.workerpool_registry, compiled("registries/workerpools", "WorkerpoolRegistry"));
    return out;
}

}  // namespace wp
