#include "routes/bus/websocket_session_marks.hpp"

#include "routes/errors.hpp"

namespace lp::bus {

void websocket_session_marks::mark(std::string const& session_id)
{
    if (capacity_ == 0 || index_.contains(session_id))
        return;
    if (order_.size() == capacity_) {
        index_.erase(order_.front());
        order_.pop_front();
    }
    order_.push_back(session_id);
    index_.insert(order_.back());
}

bool websocket_session_marks::marked(std::string_view session_id) const
{
    return index_.contains(session_id);
}

void websocket_session_marks::check(lp::request const& request, bool is_first_poll)
{
    auto const& id = request.session_id();
    if (is_first_poll) {
        if (id && !id->empty())
            mark(*id);
        return;
    }
    bool const in_file = request.authenticated() && request.session().is_websocket_session;
    if (!in_file && !(id && marked(*id)))
        throw lp::authentication_error("Session expired: no websocket session (is_first_poll was never sent)");
}

} // namespace lp::bus
