// Channel keys must be byte-identical to Python's json.dumps(v, separators=(',', ':')):
// Odoo matches bus_bus.channel as a string.
#include "routes/bus/odoo_json.hpp"
#include "tests/support/python.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <sstream>

namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(odoo_json)

BOOST_AUTO_TEST_CASE(matches_python_json_dumps)
{
    // Each value as JSON text (parsed by both sides), one per line.
    std::vector<std::string> const values{
        R"("news")",
        R"(["mydb","res.partner",7])",
        R"(["mydb","broadcast"])",
        R"("[\"mydb\",\"pos.longpolling\",\"5\"]")",
        R"("h\u00e9 \u65e5\u672c \ud83d\ude00")",
        R"("quote \" backslash \\ tab \t newline \n cr \r bell \u0007 del \u007f")",
        R"([1,-2,9007199254740993,true,false,null,[],{}])",
        R"({"type":"mail","payload":{"ids":[1,2],"z":"a","a":"\u00fc"}})",
        R"([0.5,1.0,-3.25,1e+30,1.5e-07])",
    };
    std::string input;
    for (auto const& v : values)
        input += v + "\n";
    lp::test::temp_directory dir;
    lp::test::write_bytes(dir.path() / "values.txt", input);
    auto const expected = lp::test::run_python(
        "import json, sys\n"
        "for line in open(sys.argv[1], encoding='utf-8'):\n"
        "    print(json.dumps(json.loads(line), separators=(',', ':')))\n",
        {(dir.path() / "values.txt").string()});
    std::istringstream lines(expected);
    for (auto const& v : values) {
        std::string python;
        std::getline(lines, python);
        BOOST_TEST(lp::bus::odoo_json(json::parse(v)) == python, "for " << v);
    }
}

BOOST_AUTO_TEST_SUITE_END()
