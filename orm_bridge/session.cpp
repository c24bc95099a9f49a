#include "orm_bridge/session.hpp"

namespace lp::orm {

boost::asio::awaitable<std::optional<session>> no_session_store::find(std::string)
{
    co_return std::nullopt;
}

} // namespace lp::orm
