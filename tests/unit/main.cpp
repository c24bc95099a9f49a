#define BOOST_TEST_MODULE longpolling-server unit tests
#include <boost/test/unit_test.hpp>
