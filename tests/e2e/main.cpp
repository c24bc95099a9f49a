#define BOOST_TEST_MODULE longpolling-server end-to-end tests
#include <boost/test/unit_test.hpp>
