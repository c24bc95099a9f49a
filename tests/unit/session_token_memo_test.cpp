// The session token's check, remembered per user row.
#include <boost/test/unit_test.hpp>

#include "orm_bridge/session_token_memo.hpp"

#include <string>

namespace {
std::string const sid40 = "0123456789abcdef0123456789abcdef01234567";
lp::orm::session_token_fields const row{true, 2, "admin", "$pbkdf2-sha512$600000$c2FsdA$aGFzaA",
                                        "6f1c0e52-5d6f-4a8e-9d0c-1e2f3a4b5c6d"};
} // namespace

BOOST_AUTO_TEST_SUITE(session_token_memo)

BOOST_AUTO_TEST_CASE(accepts_each_odoo_form_and_follows_the_row)
{
    for (auto const& token : {lp::orm::compute_session_token(sid40, row), lp::orm::compute_session_token_18(sid40, row),
                              lp::orm::compute_legacy_session_token_18(sid40, row)}) {
        lp::orm::session_token_memo memo;
        BOOST_TEST(memo.matches(sid40, token, row));
        BOOST_TEST(memo.matches(sid40, token, row)); // remembered: the same answer
        auto changed = row;
        changed.password = "new password";
        BOOST_TEST(!memo.matches(sid40, token, changed));
        changed = row;
        changed.active = false;
        BOOST_TEST(!memo.matches(sid40, token, changed));
        changed = row;
        changed.database_secret = "another secret";
        BOOST_TEST(!memo.matches(sid40, token, changed));
        BOOST_TEST(memo.matches(sid40, token, row)); // the old row again: valid again
    }
}

BOOST_AUTO_TEST_CASE(a_wrong_token_stays_wrong)
{
    lp::orm::session_token_memo memo;
    std::string const forged(64, 'a');
    BOOST_TEST(!memo.matches(sid40, forged, row));
    BOOST_TEST(!memo.matches(sid40, forged, row));
    BOOST_TEST(!lp::orm::session_token_matches(sid40, forged, row));
}

BOOST_AUTO_TEST_SUITE_END()
