#include "orm_bridge/pickle.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <bit>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lp::orm {
namespace {

// The opcodes this reader executes (names as in CPython's pickletools).
namespace op {
constexpr unsigned char mark = 0x28;             // (
constexpr unsigned char empty_tuple = 0x29;      // )
constexpr unsigned char stop = 0x2e;             // .
constexpr unsigned char binfloat = 0x47;         // G
constexpr unsigned char binint = 0x4a;           // J
constexpr unsigned char binint1 = 0x4b;          // K
constexpr unsigned char binint2 = 0x4d;          // M
constexpr unsigned char none = 0x4e;             // N
constexpr unsigned char binstring = 0x54;        // T (Python 2 str)
constexpr unsigned char short_binstring = 0x55;  // U (Python 2 str)
constexpr unsigned char binunicode = 0x58;       // X
constexpr unsigned char empty_list = 0x5d;       // ]
constexpr unsigned char append = 0x61;           // a
constexpr unsigned char appends = 0x65;          // e
constexpr unsigned char binget = 0x68;           // h
constexpr unsigned char long_binget = 0x6a;      // j
constexpr unsigned char binput = 0x71;           // q
constexpr unsigned char long_binput = 0x72;      // r
constexpr unsigned char setitem = 0x73;          // s
constexpr unsigned char tuple = 0x74;            // t
constexpr unsigned char setitems = 0x75;         // u
constexpr unsigned char empty_dict = 0x7d;       // }
constexpr unsigned char proto = 0x80;
constexpr unsigned char tuple1 = 0x85;
constexpr unsigned char tuple2 = 0x86;
constexpr unsigned char tuple3 = 0x87;
constexpr unsigned char newtrue = 0x88;
constexpr unsigned char newfalse = 0x89;
constexpr unsigned char long1 = 0x8a;
constexpr unsigned char short_binunicode = 0x8c;
constexpr unsigned char binunicode8 = 0x8d;
constexpr unsigned char empty_set = 0x8f;
constexpr unsigned char additems = 0x90;
constexpr unsigned char frozenset = 0x91;
constexpr unsigned char memoize = 0x94;
constexpr unsigned char frame = 0x95;
} // namespace op

// Limits: a session is a few dozen values; these only stop hostile or broken files from
// costing much memory or stack.
constexpr std::size_t max_nodes = 100'000;           // values created while reading
constexpr std::size_t max_depth = 100;               // containers inside containers
constexpr std::size_t max_open_marks = max_depth;
constexpr std::size_t max_output_values = 1'000'000; // after expanding shared references
constexpr std::size_t max_output_bytes = 16u << 20;  // string bytes, likewise

/// The pickletools name of any opcode of protocols 0-5, for error messages.
char const* opcode_name(unsigned char code)
{
    switch (code) {
    case 0x28: return "MARK";
    case 0x29: return "EMPTY_TUPLE";
    case 0x2e: return "STOP";
    case 0x30: return "POP";
    case 0x31: return "POP_MARK";
    case 0x32: return "DUP";
    case 0x42: return "BINBYTES";
    case 0x43: return "SHORT_BINBYTES";
    case 0x46: return "FLOAT";
    case 0x47: return "BINFLOAT";
    case 0x49: return "INT";
    case 0x4a: return "BININT";
    case 0x4b: return "BININT1";
    case 0x4c: return "LONG";
    case 0x4d: return "BININT2";
    case 0x4e: return "NONE";
    case 0x50: return "PERSID";
    case 0x51: return "BINPERSID";
    case 0x52: return "REDUCE";
    case 0x53: return "STRING";
    case 0x54: return "BINSTRING";
    case 0x55: return "SHORT_BINSTRING";
    case 0x56: return "UNICODE";
    case 0x58: return "BINUNICODE";
    case 0x5d: return "EMPTY_LIST";
    case 0x61: return "APPEND";
    case 0x62: return "BUILD";
    case 0x63: return "GLOBAL";
    case 0x64: return "DICT";
    case 0x65: return "APPENDS";
    case 0x67: return "GET";
    case 0x68: return "BINGET";
    case 0x69: return "INST";
    case 0x6a: return "LONG_BINGET";
    case 0x6c: return "LIST";
    case 0x6f: return "OBJ";
    case 0x70: return "PUT";
    case 0x71: return "BINPUT";
    case 0x72: return "LONG_BINPUT";
    case 0x73: return "SETITEM";
    case 0x74: return "TUPLE";
    case 0x75: return "SETITEMS";
    case 0x7d: return "EMPTY_DICT";
    case 0x80: return "PROTO";
    case 0x81: return "NEWOBJ";
    case 0x82: return "EXT1";
    case 0x83: return "EXT2";
    case 0x84: return "EXT4";
    case 0x85: return "TUPLE1";
    case 0x86: return "TUPLE2";
    case 0x87: return "TUPLE3";
    case 0x88: return "NEWTRUE";
    case 0x89: return "NEWFALSE";
    case 0x8a: return "LONG1";
    case 0x8b: return "LONG4";
    case 0x8c: return "SHORT_BINUNICODE";
    case 0x8d: return "BINUNICODE8";
    case 0x8e: return "BINBYTES8";
    case 0x8f: return "EMPTY_SET";
    case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET";
    case 0x92: return "NEWOBJ_EX";
    case 0x93: return "STACK_GLOBAL";
    case 0x94: return "MEMOIZE";
    case 0x95: return "FRAME";
    case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    default: return nullptr;
    }
}

/// "GLOBAL (0x63)", or just "0xa5" for a byte that is no opcode at all.
std::string describe_opcode(unsigned char code)
{
    char const digits[] = "0123456789abcdef";
    std::string hex = "0x";
    hex += digits[code >> 4];
    hex += digits[code & 0x0f];
    char const* name = opcode_name(code);
    return name ? std::string(name) + " (" + hex + ")" : hex;
}

/// True when s is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool is_utf8(std::string_view s)
{
    std::size_t i = 0;
    while (i < s.size()) {
        auto const lead = static_cast<unsigned char>(s[i]);
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        char32_t cp = 0;
        char32_t smallest = 0;
        if ((lead & 0xe0) == 0xc0) {
            length = 2, cp = lead & 0x1f, smallest = 0x80;
        } else if ((lead & 0xf0) == 0xe0) {
            length = 3, cp = lead & 0x0f, smallest = 0x800;
        } else if ((lead & 0xf8) == 0xf0) {
            length = 4, cp = lead & 0x07, smallest = 0x10000;
        } else {
            return false;
        }
        if (s.size() - i < length)
            return false;
        for (std::size_t k = 1; k < length; ++k) {
            auto const next = static_cast<unsigned char>(s[i + k]);
            if ((next & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (next & 0x3f);
        }
        if (cp < smallest || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += length;
    }
    return true;
}

enum class node_kind { scalar, list, dict, set, frozen_sequence /* tuple, frozenset */ };

// Values live in an arena and the stack and memo hold indexes into it, so a container that
// is memoized before being filled (as Python does) is shared, not copied, and every
// reference sees its final content when the result is converted at STOP.
struct node {
    node_kind kind = node_kind::scalar;
    boost::json::value scalar;                                // kind == scalar
    std::vector<std::size_t> items;                           // list, set, frozen_sequence
    std::vector<std::pair<std::string, std::size_t>> entries; // dict, in insertion order
};

class reader {
public:
    explicit reader(std::string_view input) : in_(input) {}

    boost::json::value run()
    {
        if (in_.size() > max_pickle_size)
            fail_at(0, "input larger than " + std::to_string(max_pickle_size) + " bytes");
        if (in_.empty() || static_cast<unsigned char>(in_[0]) != op::proto)
            fail_at(0, "not a protocol 2-5 pickle (no PROTO opcode)");
        for (;;) {
            op_offset_ = pos_;
            if (pos_ == in_.size())
                fail("truncated input (no STOP)");
            auto const code = read_byte();
            if (code == op::stop)
                return finish();
            execute(code);
        }
    }

private:
    [[noreturn]] void fail_at(std::size_t offset, std::string const& what) const
    {
        throw std::invalid_argument("invalid pickle: " + what + " at offset " + std::to_string(offset));
    }
    [[noreturn]] void fail(std::string const& what) const { fail_at(op_offset_, what); }

    unsigned char read_byte() { return static_cast<unsigned char>(read_bytes(1)[0]); }

    std::string_view read_bytes(std::uint64_t count)
    {
        if (count > in_.size() - pos_)
            fail("truncated input in " + describe_opcode(static_cast<unsigned char>(in_[op_offset_])));
        auto const bytes = in_.substr(pos_, static_cast<std::size_t>(count));
        pos_ += bytes.size();
        return bytes;
    }

    /// An unsigned little-endian integer of width bytes (at most 8).
    std::uint64_t read_le(std::size_t width)
    {
        auto const bytes = read_bytes(width);
        std::uint64_t value = 0;
        for (std::size_t i = width; i-- > 0;)
            value = (value << 8) | static_cast<unsigned char>(bytes[i]);
        return value;
    }

    std::size_t new_node(node_kind kind)
    {
        if (nodes_.size() >= max_nodes)
            fail("more than " + std::to_string(max_nodes) + " values");
        nodes_.emplace_back().kind = kind;
        return nodes_.size() - 1;
    }

    void push_scalar(boost::json::value value)
    {
        auto const index = new_node(node_kind::scalar);
        nodes_[index].scalar = std::move(value);
        stack_.push_back(index);
    }

    void push_string(std::string_view bytes)
    {
        if (!is_utf8(bytes))
            fail("string is not valid UTF-8");
        push_scalar(boost::json::string(bytes));
    }

    void push_container(node_kind kind, std::vector<std::size_t> items = {})
    {
        auto const index = new_node(kind);
        nodes_[index].items = std::move(items);
        stack_.push_back(index);
    }

    // A MARK hides the stack below it, as Python's unpickler does with its metastack.
    std::size_t stack_floor() const { return marks_.empty() ? 0 : marks_.back(); }

    std::size_t top() const
    {
        if (stack_.size() <= stack_floor())
            fail("stack underflow");
        return stack_.back();
    }

    std::size_t pop()
    {
        auto const index = top();
        stack_.pop_back();
        return index;
    }

    std::vector<std::size_t> pop_to_mark()
    {
        if (marks_.empty())
            fail("no MARK to pop to");
        auto const first = stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back());
        std::vector<std::size_t> items(first, stack_.end());
        stack_.erase(first, stack_.end());
        marks_.pop_back();
        return items;
    }

    void push_tuple(std::size_t size)
    {
        std::vector<std::size_t> items(size);
        for (std::size_t i = size; i-- > 0;)
            items[i] = pop();
        push_container(node_kind::frozen_sequence, std::move(items));
    }

    /// The container at index, which must be of the kind the opcode mutates.
    node& target(std::size_t index, node_kind expected)
    {
        if (nodes_[index].kind != expected)
            fail(describe_opcode(static_cast<unsigned char>(in_[op_offset_])) + " on the wrong kind of value");
        return nodes_[index];
    }

    void add_items(std::vector<std::size_t> const& key_values)
    {
        if (key_values.size() % 2 != 0)
            fail("odd number of items for SETITEMS");
        auto& dict = target(top(), node_kind::dict);
        for (std::size_t i = 0; i < key_values.size(); i += 2) {
            auto const& key = nodes_[key_values[i]];
            if (key.kind != node_kind::scalar || !key.scalar.is_string())
                fail("dict key is not a str");
            auto const& text = key.scalar.get_string();
            dict.entries.emplace_back(std::string(text.data(), text.size()), key_values[i + 1]);
        }
    }

    void put_memo(std::uint64_t key) { memo_[key] = top(); }

    void get_memo(std::uint64_t key)
    {
        auto const found = memo_.find(key);
        if (found == memo_.end())
            fail("memo key " + std::to_string(key) + " not found");
        stack_.push_back(found->second);
    }

    void execute(unsigned char code)
    {
        switch (code) {
        case op::proto: {
            if (op_offset_ != 0)
                fail("PROTO after the start");
            auto const version = read_byte();
            if (version < 2 || version > 5)
                fail("unsupported pickle protocol " + std::to_string(version));
            break;
        }
        case op::frame:
            // Frames only group opcodes for buffered reading; the whole input is in memory.
            if (read_le(8) > in_.size() - pos_)
                fail("FRAME longer than the remaining input");
            break;
        case op::mark:
            if (marks_.size() >= max_open_marks)
                fail("MARKs nested too deeply");
            marks_.push_back(stack_.size());
            break;
        case op::empty_dict: push_container(node_kind::dict); break;
        case op::empty_list: push_container(node_kind::list); break;
        case op::empty_set: push_container(node_kind::set); break;
        case op::empty_tuple: push_container(node_kind::frozen_sequence); break;
        case op::tuple: push_container(node_kind::frozen_sequence, pop_to_mark()); break;
        case op::frozenset: push_container(node_kind::frozen_sequence, pop_to_mark()); break;
        case op::tuple1: push_tuple(1); break;
        case op::tuple2: push_tuple(2); break;
        case op::tuple3: push_tuple(3); break;
        case op::append: {
            auto const item = pop();
            target(top(), node_kind::list).items.push_back(item);
            break;
        }
        case op::appends: {
            auto const items = pop_to_mark();
            auto& list = target(top(), node_kind::list);
            list.items.insert(list.items.end(), items.begin(), items.end());
            break;
        }
        case op::additems: {
            auto const items = pop_to_mark();
            auto& set = target(top(), node_kind::set);
            set.items.insert(set.items.end(), items.begin(), items.end());
            break;
        }
        case op::setitem: {
            auto const value = pop();
            auto const key = pop();
            add_items({key, value});
            break;
        }
        case op::setitems: add_items(pop_to_mark()); break;
        case op::short_binunicode:
        case op::short_binstring: push_string(read_bytes(read_byte())); break;
        case op::binunicode:
        case op::binstring: push_string(read_bytes(read_le(4))); break;
        case op::binunicode8: push_string(read_bytes(read_le(8))); break;
        case op::binint1: push_scalar(std::int64_t{read_byte()}); break;
        case op::binint2: push_scalar(static_cast<std::int64_t>(read_le(2))); break;
        case op::binint:
            push_scalar(std::int64_t{static_cast<std::int32_t>(static_cast<std::uint32_t>(read_le(4)))});
            break;
        case op::long1: {
            // Little-endian two's complement; Python uses it for ints beyond 32 bits.
            auto const width = read_byte();
            if (width > 8)
                fail("LONG1 integer wider than 8 bytes");
            auto raw = read_le(width);
            if (width > 0 && width < 8 && (raw >> (8 * width - 1)) != 0)
                raw |= ~std::uint64_t{0} << (8 * width);
            push_scalar(static_cast<std::int64_t>(raw));
            break;
        }
        case op::binfloat: {
            std::uint64_t bits = 0; // big-endian, unlike the integers
            for (char byte : read_bytes(8))
                bits = (bits << 8) | static_cast<unsigned char>(byte);
            push_scalar(std::bit_cast<double>(bits));
            break;
        }
        case op::newtrue: push_scalar(true); break;
        case op::newfalse: push_scalar(false); break;
        case op::none: push_scalar(nullptr); break;
        case op::memoize: put_memo(memo_.size()); break;
        case op::binput: put_memo(read_byte()); break;
        case op::long_binput: put_memo(read_le(4)); break;
        case op::binget: get_memo(read_byte()); break;
        case op::long_binget: get_memo(read_le(4)); break;
        default: fail("unsupported opcode " + describe_opcode(code));
        }
    }

    boost::json::value finish()
    {
        if (!marks_.empty() || stack_.size() != 1)
            fail("STOP with an unbalanced stack");
        if (pos_ != in_.size())
            fail_at(pos_, "trailing bytes after STOP");
        return to_json(stack_.back(), 0);
    }

    void count_bytes(std::size_t size)
    {
        output_bytes_ += size;
        if (output_bytes_ > max_output_bytes)
            fail("result larger than " + std::to_string(max_output_bytes) + " bytes of strings");
    }

    boost::json::value to_json(std::size_t index, std::size_t depth)
    {
        // The depth limit also ends self-referencing containers (l = []; l.append(l)).
        if (depth > max_depth)
            fail("result nested deeper than " + std::to_string(max_depth) + " levels, or cyclic");
        if (++output_values_ > max_output_values)
            fail("result has more than " + std::to_string(max_output_values) + " values");
        node const& n = nodes_[index];
        switch (n.kind) {
        case node_kind::scalar:
            if (n.scalar.is_string())
                count_bytes(n.scalar.get_string().size());
            return n.scalar;
        case node_kind::dict: {
            boost::json::object object;
            object.reserve(n.entries.size());
            for (auto const& [key, value] : n.entries) {
                count_bytes(key.size());
                // A repeated key keeps its first position and its last value, as in Python.
                object.insert_or_assign(key, to_json(value, depth + 1));
            }
            return object;
        }
        case node_kind::list:
        case node_kind::set:
        case node_kind::frozen_sequence: break;
        }
        boost::json::array array;
        array.reserve(n.items.size());
        for (auto const item : n.items)
            array.push_back(to_json(item, depth + 1));
        return array;
    }

    std::string_view in_;
    std::size_t pos_ = 0;
    std::size_t op_offset_ = 0; // the opcode being executed, for error messages
    std::vector<node> nodes_;
    std::vector<std::size_t> stack_;
    std::vector<std::size_t> marks_; // stack sizes at each open MARK
    std::unordered_map<std::uint64_t, std::size_t> memo_;
    std::size_t output_values_ = 0;
    std::size_t output_bytes_ = 0;
};

} // namespace

boost::json::value read_pickle(std::string_view bytes)
{
    return reader(bytes).run();
}

} // namespace lp::orm
