#include <boost/test/unit_test.hpp>

#include "orm_bridge/pickle.hpp"
#include "tests/support/python.hpp"

#include <boost/json.hpp>

#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// Every pickle the tests read, made by the real python3 once per run. For each: the bytes
// (hex), the opcodes present, and where each opcode first occurs.
constexpr char const* generator = R"PY(
import datetime, json, os, pickle, pickletools, sys

class Evil:
    def __reduce__(self):
        return (os.system, ('touch ' + sys.argv[1],))

shared = {'company_ids': [1, 3]}
repeated = 'repeated string value'
session = {
    'db': 'odoo_prod',
    'uid': 2,
    'login': 'admin@example.com',
    'session_token': '3f1a' * 16,
    'context': {'lang': 'en_US', 'tz': 'Europe/Brussels', 'uid': 2},
    'debug': '',
    'name': 'Zo\u00eb \u65e5\u672c \U0001F600',
    'nested': [1, [2, [3, 'x']], ['one'], []],
    'allowed': shared,
    'again': shared,
    'rep1': repeated,
    'rep2': repeated,
    'ints': [0, 255, 256, 65535, 65536, -1, -129, 2**31 - 1, -2**31, 2**31, 2**40, -2**40,
             2**63 - 1, -2**63],
    'ratio': 0.5,
    'big_float': -3.25e10,
    'none': None,
    'yes': True,
    'no': False,
    'pair': (1, 'a'),
    'single': ('only',),
    'empty_tuple': (),
    'triple': (1, 2, 3),
    'quad': (1, 2, 3, 4),
    'long_text': 'L' * 300,
    'empty_list': [],
    'empty_dict': {},
}
with_sets = dict(session, tags={3, 1, 2}, frozen=frozenset({5}))
strings = [str(i) for i in range(300)]
cyclic = []
cyclic.append(cyclic)
deep = []
for _ in range(150):
    deep = [deep]
big = 'x' * 100000

def entry(obj, proto):
    data = pickle.dumps(obj, proto)
    first = {}
    for op, _, pos in pickletools.genops(data):
        first.setdefault(op.name, pos)
    return {'hex': data.hex(), 'first': first}

print(json.dumps({
    'session2': entry(session, 2),
    'session4': entry(with_sets, 4),
    'session5': entry(with_sets, 5),
    'long_memo2': entry([strings, strings[299]], 2),
    'datetime2': entry({'t': datetime.datetime(2020, 1, 2)}, 2),
    'datetime4': entry({'t': datetime.datetime(2020, 1, 2)}, 4),
    'evil2': entry({'x': Evil()}, 2),
    'evil5': entry({'x': Evil()}, 5),
    'bytes4': entry({'b': b'abc'}, 4),
    'bytearray5': entry({'b': bytearray(b'ab')}, 5),
    'int_keys4': entry({1: 'a'}, 4),
    'tuple_keys4': entry({('a',): 'a'}, 4),
    'set2': entry({'s': {1}}, 2),
    'cyclic4': entry(cyclic, 4),
    'too_wide4': entry({'n': 2**64}, 4),
    'deep4': entry(deep, 4),
    'expansion4': entry([big] * 200, 4),
    'protocol0': entry({'a': 1}, 0),
}))
)PY";

struct generated {
    generated()
    {
        auto const output = lp::test::run_python(generator, {(directory.path() / "pwned").string()});
        pickles = boost::json::parse(output).as_object();
    }

    lp::test::temp_directory directory; // where an executed Evil payload would leave a file
    boost::json::object pickles;
};

generated const& samples()
{
    static generated const g;
    return g;
}

std::string bytes_of(char const* name)
{
    return lp::test::from_hex(samples().pickles.at(name).at("hex").as_string());
}

bool has_opcode(char const* name, char const* opcode)
{
    return samples().pickles.at(name).at("first").as_object().contains(opcode);
}

std::size_t first_offset(char const* name, char const* opcode)
{
    return samples().pickles.at(name).at("first").at(opcode).to_number<std::size_t>();
}

/// The message read_pickle refuses bytes with, or "accepted".
std::string error_of(std::string_view bytes)
{
    try {
        lp::orm::read_pickle(bytes);
    }
    catch (std::invalid_argument const& e) {
        return e.what();
    }
    return "accepted";
}

bool contains(std::string const& text, std::string const& part) { return text.find(part) != std::string::npos; }

boost::json::value const expected_session = boost::json::parse(R"({
    "db": "odoo_prod",
    "uid": 2,
    "login": "admin@example.com",
    "session_token": "3f1a3f1a3f1a3f1a3f1a3f1a3f1a3f1a3f1a3f1a3f1a3f1a3f1a3f1a3f1a3f1a",
    "context": {"lang": "en_US", "tz": "Europe/Brussels", "uid": 2},
    "debug": "",
    "name": "Zo\u00eb \u65e5\u672c \ud83d\ude00",
    "nested": [1, [2, [3, "x"]], ["one"], []],
    "allowed": {"company_ids": [1, 3]},
    "again": {"company_ids": [1, 3]},
    "rep1": "repeated string value",
    "rep2": "repeated string value",
    "ints": [0, 255, 256, 65535, 65536, -1, -129, 2147483647, -2147483648, 2147483648,
             1099511627776, -1099511627776, 9223372036854775807, -9223372036854775808],
    "ratio": 0.5,
    "big_float": -3.25e10,
    "none": null,
    "yes": true,
    "no": false,
    "pair": [1, "a"],
    "single": ["only"],
    "empty_tuple": [],
    "triple": [1, 2, 3],
    "quad": [1, 2, 3, 4],
    "long_text": ")" + std::string(300, 'L') + R"(",
    "empty_list": [],
    "empty_dict": {}
})");

boost::json::value expected_with_sets()
{
    auto value = expected_session;
    value.as_object()["tags"] = boost::json::array{1, 2, 3};
    value.as_object()["frozen"] = boost::json::array{5};
    return value;
}

/// Checks value equals expected, including the order of every object's keys.
void check_same(boost::json::value const& value, boost::json::value const& expected)
{
    BOOST_TEST(boost::json::serialize(value) == boost::json::serialize(expected));
    BOOST_TEST(value == expected);
}

} // namespace

BOOST_AUTO_TEST_SUITE(pickle)

BOOST_AUTO_TEST_CASE(reads_a_protocol_2_session)
{
    auto const bytes = bytes_of("session2");
    for (auto const* opcode : {"PROTO", "BINPUT", "BINGET", "LONG1", "BINFLOAT", "BINUNICODE", "TUPLE1",
                               "TUPLE2", "TUPLE3", "TUPLE", "EMPTY_TUPLE", "APPEND", "APPENDS", "SETITEM",
                               "SETITEMS", "NEWTRUE", "NEWFALSE", "NONE", "BININT", "BININT1", "BININT2"})
        BOOST_TEST(has_opcode("session2", opcode), "python emitted " << opcode);
    auto const value = lp::orm::read_pickle(bytes);
    check_same(value, expected_session);
    // Integers keep their exact type: LONG1 up to 8 bytes still fits an int64.
    BOOST_TEST(value.at("ints").as_array().back().is_int64());
    BOOST_TEST(value.at("ratio").is_double());
}

BOOST_AUTO_TEST_CASE(reads_protocol_4_and_5_sessions_with_frames_and_sets)
{
    for (auto const* name : {"session4", "session5"}) {
        BOOST_TEST_CONTEXT(name)
        {
            for (auto const* opcode : {"FRAME", "MEMOIZE", "BINGET", "SHORT_BINUNICODE", "BINUNICODE", "LONG1",
                                       "EMPTY_SET", "ADDITEMS", "FROZENSET", "SETITEM", "APPEND"})
                BOOST_TEST(has_opcode(name, opcode), "python emitted " << opcode);
            check_same(lp::orm::read_pickle(bytes_of(name)), expected_with_sets());
        }
    }
}

BOOST_AUTO_TEST_CASE(shared_objects_read_through_the_memo_have_their_final_content)
{
    // Python memoizes the shared dict while it is still empty and fills it afterwards; the
    // second reference (BINGET) must still see the filled dict.
    auto const value = lp::orm::read_pickle(bytes_of("session4"));
    BOOST_TEST(value.at("again") == value.at("allowed"));
    BOOST_TEST(value.at("again").at("company_ids").as_array().size() == 2u);
}

BOOST_AUTO_TEST_CASE(long_memo_indexes)
{
    BOOST_TEST(has_opcode("long_memo2", "LONG_BINPUT"));
    BOOST_TEST(has_opcode("long_memo2", "LONG_BINGET"));
    boost::json::array strings;
    for (int i = 0; i < 300; ++i)
        strings.emplace_back(std::to_string(i));
    check_same(lp::orm::read_pickle(bytes_of("long_memo2")), boost::json::array{strings, "299"});
}

BOOST_AUTO_TEST_CASE(hand_made_opcodes_python_3_does_not_emit_for_sessions)
{
    using namespace std::string_literals;
    // Python 2's 8-bit str (SHORT_BINSTRING, BINSTRING), as old OpenERP sessions hold them.
    check_same(lp::orm::read_pickle("\x80\x02}q\x00(U\x03_dbq\x01T\x04\x00\x00\x00testq\x02u."s),
               boost::json::object{{"_db", "test"}});
    BOOST_TEST(contains(error_of("\x80\x02U\x02\xff\xfe."s), "not valid UTF-8 at offset 2"));
    // BINUNICODE8, LONG_BINPUT / LONG_BINGET with a 4-byte index.
    check_same(lp::orm::read_pickle("\x80\x04\x8d\x02\x00\x00\x00\x00\x00\x00\x00hi"
                                    "r\x00\x01\x00\x00j\x00\x01\x00\x00\x86."s),
               boost::json::array{"hi", "hi"});
    // LONG1 of width 0 is zero; a one-byte negative.
    check_same(lp::orm::read_pickle("\x80\x02(\x8a\x00\x8a\x01\xfft."s), boost::json::array{0, -1});
    // A later SETITEM on an existing key replaces the value but keeps its place.
    check_same(lp::orm::read_pickle("\x80\x04}(\x8c\x01" "aK\x01\x8c\x01" "bK\x02\x8c\x01" "aK\x03u."s),
               boost::json::parse(R"({"a": 3, "b": 2})"));
}

BOOST_AUTO_TEST_CASE(refuses_globals_and_never_runs_them)
{
    auto const marker = samples().directory.path() / "pwned";
    BOOST_TEST(error_of(bytes_of("datetime2"))
               == "invalid pickle: unsupported opcode GLOBAL (0x63) at offset "
                      + std::to_string(first_offset("datetime2", "GLOBAL")));
    BOOST_TEST(error_of(bytes_of("datetime4"))
               == "invalid pickle: unsupported opcode STACK_GLOBAL (0x93) at offset "
                      + std::to_string(first_offset("datetime4", "STACK_GLOBAL")));
    BOOST_TEST(error_of(bytes_of("evil2"))
               == "invalid pickle: unsupported opcode GLOBAL (0x63) at offset "
                      + std::to_string(first_offset("evil2", "GLOBAL")));
    BOOST_TEST(error_of(bytes_of("evil5"))
               == "invalid pickle: unsupported opcode STACK_GLOBAL (0x93) at offset "
                      + std::to_string(first_offset("evil5", "STACK_GLOBAL")));
    // Proves the payload was real: python's own loader would have run it.
    BOOST_TEST(has_opcode("evil5", "REDUCE"));
    BOOST_TEST(!std::filesystem::exists(marker));
}

BOOST_AUTO_TEST_CASE(refuses_bytes_and_other_types)
{
    BOOST_TEST(contains(error_of(bytes_of("bytes4")), "unsupported opcode SHORT_BINBYTES (0x43)"));
    BOOST_TEST(contains(error_of(bytes_of("bytearray5")), "unsupported opcode BYTEARRAY8 (0x96)"));
    // Protocol 2 has no set opcodes: Python writes builtins.set through GLOBAL and REDUCE.
    BOOST_TEST(contains(error_of(bytes_of("set2")), "unsupported opcode GLOBAL (0x63)"));
    BOOST_TEST(contains(error_of(bytes_of("too_wide4")), "LONG1 integer wider than 8 bytes"));
    BOOST_TEST(contains(error_of(bytes_of("protocol0")), "not a protocol 2-5 pickle"));
    BOOST_TEST(contains(error_of("\x80\x06N."), "unsupported pickle protocol 6"));
    BOOST_TEST(contains(error_of("\x80\x02\xa5."), "unsupported opcode 0xa5 at offset 2"));
}

BOOST_AUTO_TEST_CASE(refuses_non_str_dict_keys)
{
    BOOST_TEST(contains(error_of(bytes_of("int_keys4")), "dict key is not a str"));
    BOOST_TEST(contains(error_of(bytes_of("tuple_keys4")), "dict key is not a str"));
}

BOOST_AUTO_TEST_CASE(refuses_truncated_input_at_every_length)
{
    using namespace std::string_literals;
    for (auto const* name : {"session2", "session5"}) {
        auto const bytes = bytes_of(name);
        for (std::size_t size = 0; size < bytes.size(); ++size)
            BOOST_TEST(error_of(std::string_view(bytes).substr(0, size)) != "accepted",
                       name << " cut to " << size << " bytes");
    }
    BOOST_TEST(contains(error_of(""), "not a protocol 2-5 pickle"));
    BOOST_TEST(contains(error_of("\x80\x04"), "truncated input (no STOP) at offset 2"));
    BOOST_TEST(contains(error_of("\x80\x04\x8c\x05" "ab"s), "truncated input in SHORT_BINUNICODE (0x8c) at offset 2"));
}

BOOST_AUTO_TEST_CASE(survives_corrupted_bytes)
{
    // Any byte changed to any value: either a value or invalid_argument, never a crash.
    auto const bytes = bytes_of("session4");
    std::size_t refused = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        for (int b = 0; b < 256; b += 11) {
            auto changed = bytes;
            changed[i] = static_cast<char>(b);
            if (error_of(changed) != "accepted")
                ++refused;
        }
    }
    BOOST_TEST(refused > 0u);
}

BOOST_AUTO_TEST_CASE(refuses_trailing_bytes_after_stop)
{
    auto const bytes = bytes_of("session4");
    BOOST_TEST(error_of(bytes + "x")
               == "invalid pickle: trailing bytes after STOP at offset " + std::to_string(bytes.size()));
    BOOST_TEST(contains(error_of(bytes + "."), "trailing bytes after STOP"));
}

BOOST_AUTO_TEST_CASE(refuses_broken_stacks_and_memo_misses)
{
    using namespace std::string_literals;
    BOOST_TEST(contains(error_of("\x80\x04h\x05."), "memo key 5 not found at offset 2"));
    BOOST_TEST(contains(error_of("\x80\x04K\x01" "a."s), "stack underflow at offset 4"));
    BOOST_TEST(contains(error_of("\x80\x04K\x01K\x02" "a."s), "APPEND (0x61) on the wrong kind of value"));
    BOOST_TEST(contains(error_of("\x80\x04]("s), "truncated input (no STOP)"));
    BOOST_TEST(contains(error_of("\x80\x04](K\x01."), "STOP with an unbalanced stack"));
    BOOST_TEST(contains(error_of("\x80\x04NN."), "STOP with an unbalanced stack"));
    BOOST_TEST(contains(error_of("\x80\x04."), "STOP with an unbalanced stack"));
    // A MARK hides what is below it: TUPLE1 right after one has nothing to take.
    BOOST_TEST(contains(error_of("\x80\x04N(\x85."), "stack underflow"));
    BOOST_TEST(contains(error_of("\x80\x04NNe."), "no MARK to pop to"));
    BOOST_TEST(contains(error_of("\x80\x04}(K\x01u."), "odd number of items"));
    BOOST_TEST(contains(error_of("\x80\x04\x80\x04N."), "PROTO after the start"));
    BOOST_TEST(contains(error_of("\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00N."s), "FRAME longer"));
}

BOOST_AUTO_TEST_CASE(bounds_depth_cycles_and_expansion)
{
    BOOST_TEST(contains(error_of(bytes_of("cyclic4")), "nested deeper than 100 levels, or cyclic"));
    BOOST_TEST(contains(error_of(bytes_of("deep4")), "nested deeper than 100 levels"));
    // 100 kB of input that shares one string 200 times would expand to 20 MB.
    BOOST_TEST(bytes_of("expansion4").size() < 200'000u);
    BOOST_TEST(contains(error_of(bytes_of("expansion4")), "bytes of strings"));
    BOOST_TEST(contains(error_of(std::string(lp::orm::max_pickle_size + 1, '\x80')), "input larger than"));
}

BOOST_AUTO_TEST_SUITE_END()
