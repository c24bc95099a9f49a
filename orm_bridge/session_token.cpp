#include "orm_bridge/session_token.hpp"

#include "orm_bridge/python_repr.hpp"

#include <boost/json/value.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

namespace lp::orm {

namespace {
/// The lowercase hex HMAC-SHA256 of sid keyed with `key`, as Odoo's hmac.new(...).hexdigest().
std::string hmac_hex(std::string const& key, std::string_view sid)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = 0;
    // One-shot HMAC() is not deprecated in OpenSSL 3 (only the HMAC_CTX API is).
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<unsigned char const*>(sid.data()), sid.size(), digest, &digest_size)
        == nullptr)
        throw std::runtime_error("compute_session_token: OpenSSL HMAC failed");

    char const digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * digest_size);
    for (unsigned int i = 0; i < digest_size; ++i) {
        hex += digits[digest[i] >> 4];
        hex += digits[digest[i] & 0x0f];
    }
    return hex;
}

boost::json::value password_of(session_token_fields const& row)
{
    return row.password ? boost::json::value(*row.password) : boost::json::value(nullptr);
}
} // namespace

std::string compute_session_token(std::string_view sid, session_token_fields const& row)
{
    std::array<boost::json::value, 5> const tuple{
        boost::json::value(row.active), boost::json::value(row.id), boost::json::value(row.login), password_of(row),
        boost::json::value(row.database_secret),
    };
    return hmac_hex(python_tuple_repr(tuple), sid);
}

std::string compute_session_token_18(std::string_view sid, session_token_fields const& row)
{
    std::array<std::pair<char const*, boost::json::value>, 5> const pairs{{
        {"database_secret", boost::json::value(row.database_secret)},
        {"active", boost::json::value(row.active)},
        {"id", boost::json::value(row.id)},
        {"login", boost::json::value(row.login)},
        {"password", password_of(row)},
    }};
    std::string key = "(";
    for (auto const& [name, value] : pairs) {
        if (value.is_null())
            continue; // Odoo 18 leaves the None values out
        std::array<boost::json::value, 2> const pair{boost::json::value(name), value};
        key += (key.size() > 1 ? ", " : "") + python_tuple_repr(pair);
    }
    return hmac_hex(key + ")", sid);
}

std::string compute_legacy_session_token_18(std::string_view sid, session_token_fields const& row)
{
    std::array<boost::json::value, 5> const tuple{
        boost::json::value(row.database_secret), boost::json::value(row.active), boost::json::value(row.id),
        boost::json::value(row.login), password_of(row),
    };
    return hmac_hex(python_tuple_repr(tuple), sid);
}

bool tokens_equal(std::string_view a, std::string_view b)
{
    // Tokens have a fixed length, so returning early on a length mismatch reveals nothing.
    if (a.size() != b.size())
        return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool session_token_matches(std::string_view sid, std::string_view token, session_token_fields const& row)
{
    return tokens_equal(compute_session_token(sid, row), token)
           || tokens_equal(compute_session_token_18(sid, row), token)
           || tokens_equal(compute_legacy_session_token_18(sid, row), token);
}

} // namespace lp::orm
