#include "routes/json_limits.hpp"

#include "orm_bridge/limits_hit.hpp"
#include "routes/errors.hpp"

#include <boost/json/memory_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/storage_ptr.hpp>

#include <cstddef>
#include <functional>
#include <new>

namespace lp {
namespace {

/// Heap memory, counted, refused past a limit. A small request (a poll, a call) fits in the
/// resource's own arena: its dozen or so blocks cost no allocation each, and are given back
/// all at once with the resource, when the last value using it goes.
class bounded_resource final : public boost::json::memory_resource {
public:
    explicit bounded_resource(std::size_t limit) : limit_(limit) {}

private:
    void* do_allocate(std::size_t bytes, std::size_t alignment) override
    {
        if (bytes > limit_ - used_) {
            count_limit_hit(limit::json_memory);
            throw payload_too_large("the request's JSON takes more memory than its size allows once parsed (over "
                                    + std::to_string(limit_) + " bytes)");
        }
        void* p = from_arena(bytes, alignment);
        if (!p)
            p = over_aligned(alignment) ? ::operator new(bytes, std::align_val_t(alignment)) : ::operator new(bytes);
        used_ += bytes;
        return p;
    }
    void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override
    {
        used_ -= bytes;
        if (in_arena(p))
            return; // reclaimed with the resource
        if (over_aligned(alignment))
            ::operator delete(p, std::align_val_t(alignment));
        else
            ::operator delete(p);
    }
    void* from_arena(std::size_t bytes, std::size_t alignment)
    {
        auto const start = (arena_used_ + alignment - 1) / alignment * alignment;
        if (alignment > alignof(std::max_align_t) || bytes > sizeof arena_ || start > sizeof arena_ - bytes)
            return nullptr;
        arena_used_ = start + bytes;
        return arena_ + start;
    }
    bool in_arena(void const* p) const
    {
        auto const* byte = static_cast<unsigned char const*>(p);
        return !std::less<>()(byte, arena_) && std::less<>()(byte, arena_ + sizeof arena_);
    }
    // Boost.JSON may free with another (default-sized) alignment than it allocated with: only
    // over-aligned blocks go through the aligned operators, so both sides always match.
    static bool over_aligned(std::size_t alignment) { return alignment > __STDCPP_DEFAULT_NEW_ALIGNMENT__; }
    bool do_is_equal(memory_resource const& other) const noexcept override { return this == &other; }

    std::size_t limit_;
    std::size_t used_ = 0;
    std::size_t arena_used_ = 0;
    alignas(std::max_align_t) unsigned char arena_[1536];
};

} // namespace

boost::json::value parse_request_json(std::string_view text)
{
    boost::json::parse_options options;
    options.max_depth = json_max_depth;
    auto storage = boost::json::make_shared_resource<bounded_resource>(json_memory_limit(text.size()));
    // The parser's own stack of values (as large as the result while an array is read) counts
    // too: it is both the temporary and the result storage.
    boost::json::parser parser(storage, options);
    parser.reset(storage);
    boost::system::error_code ec;
    parser.write(text.data(), text.size(), ec);
    if (ec == boost::json::error::too_deep)
        count_limit_hit(limit::json_max_depth);
    if (ec)
        throw bad_request("the body is not valid JSON: " + ec.message());
    return parser.release();
}

} // namespace lp
