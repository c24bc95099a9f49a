#define BOOST_TEST_MODULE longpolling-server PostgreSQL tests
#include <boost/test/unit_test.hpp>
