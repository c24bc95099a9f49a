#include "orm_bridge/rule_expression.hpp"

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>

#include <charconv>
#include <cstdint>
#include <set>

namespace lp::orm {
namespace json = boost::json;

struct rule_expression::node {
    enum class kind { literal, list, name, negate, add } what;
    json::value literal;             ///< kind::literal
    std::vector<node> items;         ///< list items; the operand of negate; both sides of add
    std::vector<std::string> names;  ///< kind::name: "user", "partner_id", "id"
};

namespace {

using node = rule_expression::node;

// Real rules are a few hundred bytes; a bound keeps a hostile one from recursing deep.
constexpr std::size_t max_depth = 64;

[[noreturn]] void fail(std::string const& what)
{
    throw rule_expression_error(what);
}

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Recursive descent over the text; `depth` bounds nesting.
class parser {
public:
    explicit parser(std::string_view text) : text_(text) {}

    node parse_all()
    {
        auto out = expression(0);
        skip_space();
        if (at_ < text_.size())
            fail("unexpected '" + std::string(text_.substr(at_, 12)) + "' at offset " + std::to_string(at_));
        return out;
    }

private:
    void skip_space()
    {
        while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r'))
            ++at_;
    }

    bool take(char c)
    {
        skip_space();
        if (at_ < text_.size() && text_[at_] == c) {
            ++at_;
            return true;
        }
        return false;
    }

    node expression(std::size_t depth)
    {
        if (depth > max_depth)
            fail("nested too deep");
        auto left = unary(depth);
        while (take('+')) {
            node sum{node::kind::add, {}, {}, {}};
            sum.items.push_back(std::move(left));
            sum.items.push_back(unary(depth + 1));
            left = std::move(sum);
        }
        return left;
    }

    node unary(std::size_t depth)
    {
        if (take('-')) {
            node negated{node::kind::negate, {}, {}, {}};
            negated.items.push_back(unary(depth + 1));
            return negated;
        }
        return primary(depth);
    }

    node primary(std::size_t depth)
    {
        skip_space();
        if (at_ >= text_.size())
            fail("unexpected end of text");
        char const c = text_[at_];
        if (c == '[' || c == '(')
            return sequence(c == '[' ? ']' : ')', depth);
        if (c == '\'' || c == '"')
            return {node::kind::literal, string_literal(), {}, {}};
        if (is_digit(c))
            return {node::kind::literal, number(), {}, {}};
        if (is_name_start(c))
            return dotted_name();
        fail("unexpected '" + std::string(1, c) + "' at offset " + std::to_string(at_));
    }

    /// A list or a tuple (both become JSON arrays); "(x)" without a comma is x itself.
    node sequence(char close, std::size_t depth)
    {
        ++at_;
        node list{node::kind::list, {}, {}, {}};
        bool comma = false;
        while (!take(close)) {
            list.items.push_back(expression(depth + 1));
            if (take(','))
                comma = true;
            else if (!take(close))
                fail(std::string("expected ',' or '") + close + "' at offset " + std::to_string(at_));
            else
                break;
        }
        if (close == ')' && list.items.size() == 1 && !comma)
            return std::move(list.items.front());
        return list;
    }

    json::value string_literal()
    {
        char const quote = text_[at_++];
        std::string out;
        while (at_ < text_.size() && text_[at_] != quote) {
            char c = text_[at_++];
            if (c == '\n')
                fail("newline inside a string");
            if (c == '\\') {
                if (at_ >= text_.size())
                    break;
                char const e = text_[at_++];
                switch (e) {
                case '\\': case '\'': case '"': c = e; break;
                case 'n': c = '\n'; break;
                case 't': c = '\t'; break;
                default: fail(std::string("unsupported escape \\") + e + " in a string");
                }
            }
            out += c;
        }
        if (at_ >= text_.size())
            fail("unterminated string");
        ++at_;
        return json::string(out);
    }

    json::value number()
    {
        auto const start = at_;
        while (at_ < text_.size() && (is_digit(text_[at_]) || text_[at_] == '.' || text_[at_] == 'e' || text_[at_] == 'E'))
            ++at_;
        auto const digits = text_.substr(start, at_ - start);
        if (at_ < text_.size() && is_name_char(text_[at_]))
            fail("malformed number at offset " + std::to_string(start));
        if (digits.find_first_of(".eE") == std::string_view::npos) {
            std::int64_t n = 0;
            auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
            if (ec != std::errc{} || end != digits.data() + digits.size())
                fail("malformed integer '" + std::string(digits) + "'");
            return n;
        }
        double d = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
        if (ec != std::errc{} || end != digits.data() + digits.size())
            fail("malformed number '" + std::string(digits) + "'");
        return d;
    }

    node dotted_name()
    {
        node out{node::kind::name, {}, {}, {}};
        do {
            skip_space();
            auto const start = at_;
            if (at_ >= text_.size() || !is_name_start(text_[at_]))
                fail("expected a name at offset " + std::to_string(at_));
            while (at_ < text_.size() && is_name_char(text_[at_]))
                ++at_;
            out.names.emplace_back(text_.substr(start, at_ - start));
        } while (take('.'));
        skip_space();
        if (at_ < text_.size() && (text_[at_] == '(' || text_[at_] == '['))
            fail("calls and subscripts are not supported ('" + out.names.back() + text_[at_] + "')");
        auto const& first = out.names.front();
        if (out.names.size() == 1) {
            if (first == "True" || first == "False")
                return {node::kind::literal, json::value(first == "True"), {}, {}};
            if (first == "None")
                return {node::kind::literal, json::value(nullptr), {}, {}};
            if (first == "company_ids" || first == "company_id")
                return out;
        }
        if (first == "user" && out.names.size() > 1)
            return out;
        fail("unknown name '" + first + "'");
    }

    std::string_view text_;
    std::size_t at_ = 0;
};

void collect_user_paths(node const& n, std::set<std::vector<std::string>>& out)
{
    if (n.what == node::kind::name && n.names.front() == "user")
        out.insert(std::vector<std::string>(n.names.begin() + 1, n.names.end()));
    for (auto const& item : n.items)
        collect_user_paths(item, out);
}

std::string joined(std::vector<std::string> const& names, std::size_t from)
{
    std::string out;
    for (std::size_t i = from; i < names.size(); ++i)
        out += (i > from ? "." : "") + names[i];
    return out;
}

struct evaluation {
    std::map<std::string, json::value> const& user_values;
    json::value const& company_ids;
    json::value const& company_id;

    json::value operator()(node const& n) const
    {
        switch (n.what) {
        case node::kind::literal:
            return n.literal;
        case node::kind::list: {
            json::array out;
            for (auto const& item : n.items)
                out.push_back((*this)(item));
            return out;
        }
        case node::kind::name:
            if (n.names.front() == "company_ids")
                return company_ids;
            if (n.names.front() == "company_id")
                return company_id;
            if (auto it = user_values.find(joined(n.names, 1)); it != user_values.end())
                return it->second;
            fail("user." + joined(n.names, 1) + " was not resolved");
        case node::kind::negate: {
            auto v = (*this)(n.items.front());
            if (v.is_int64())
                return -v.get_int64();
            if (v.is_double())
                return -v.get_double();
            fail("unary minus on a non-number");
        }
        case node::kind::add: {
            auto left = (*this)(n.items[0]);
            auto right = (*this)(n.items[1]);
            if (left.is_array() && right.is_array()) {
                for (auto& v : right.get_array())
                    left.get_array().push_back(std::move(v));
                return left;
            }
            if (left.is_int64() && right.is_int64())
                return left.get_int64() + right.get_int64();
            fail("'+' on values other than two lists or two integers");
        }
        }
        fail("unknown expression");
    }
};

} // namespace

rule_expression rule_expression::parse(std::string_view text)
{
    rule_expression out;
    out.root_ = std::make_shared<node const>(parser(text).parse_all());
    return out;
}

std::vector<std::vector<std::string>> rule_expression::user_paths() const
{
    std::set<std::vector<std::string>> paths;
    collect_user_paths(*root_, paths);
    return {paths.begin(), paths.end()};
}

json::value rule_expression::evaluate(std::map<std::string, json::value> const& user_values,
                                      json::value const& company_ids, json::value const& company_id) const
{
    return evaluation{user_values, company_ids, company_id}(*root_);
}

} // namespace lp::orm
