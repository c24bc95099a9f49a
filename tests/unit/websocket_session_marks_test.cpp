// The session ids marked by /websocket/peek_notifications' first poll: found while kept, the
// oldest forgotten first past the capacity.
#include "routes/bus/websocket_session_marks.hpp"

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(websocket_session_marks)

BOOST_AUTO_TEST_CASE(the_newest_marks_are_kept)
{
    lp::bus::websocket_session_marks marks(2);
    BOOST_TEST(!marks.marked("a"));
    marks.mark("a");
    marks.mark("b");
    marks.mark("a"); // already there: not a second entry
    BOOST_TEST(marks.marked("a"));
    BOOST_TEST(marks.marked("b"));
    marks.mark("c"); // over capacity: "a", the oldest, goes
    BOOST_TEST(!marks.marked("a"));
    BOOST_TEST(marks.marked("b"));
    BOOST_TEST(marks.marked("c"));
}

BOOST_AUTO_TEST_SUITE_END()
