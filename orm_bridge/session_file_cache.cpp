#include "orm_bridge/session_file_cache.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <system_error>

namespace lp::orm {
namespace {

std::int64_t nanoseconds(timespec const& t) { return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; }

} // namespace

session_file_cache::session_file_cache(std::filesystem::path sessions_dir, session_file_cache_settings settings)
    : sessions_dir_(std::move(sessions_dir)), settings_(settings)
{
}

std::shared_ptr<session_file_version> session_file_cache::find(std::string const& sid)
{
    drop_idle();
    auto const candidates = session_file_candidates(sessions_dir_, sid);
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        struct stat st {};
        if (::stat(candidates[i].c_str(), &st) != 0) {
            int const error = errno;
            if (error == ENOENT || error == ENOTDIR)
                continue;
            // The message leaves the session id out: it is a credential.
            throw std::system_error(error, std::generic_category(),
                                    "cannot stat a session file in " + candidates[i].parent_path().string());
        }
        // The first file found is the session, as load_session_file has it.
        file_identity const identity{static_cast<std::uintmax_t>(st.st_dev), static_cast<std::uintmax_t>(st.st_ino),
                                     static_cast<std::uintmax_t>(st.st_size), nanoseconds(st.st_mtim),
                                     nanoseconds(st.st_ctim), i};
        if (auto it = entries_.find(sid); it != entries_.end() && it->second.identity == identity) {
            ++hits_;
            it->second.used_at = std::chrono::steady_clock::now();
            recency_.splice(recency_.begin(), recency_, it->second.recency);
            return it->second.version;
        }
        return read(sid, candidates[i], identity);
    }
    forget(sid);
    return nullptr;
}

std::shared_ptr<session_file_version> session_file_cache::read(std::string const& sid,
                                                               std::filesystem::path const& path,
                                                               file_identity const& identity)
{
    // Stat'ed before it is read: what is kept is never older than the identity it is kept with.
    forget(sid);
    ++reads_;
    auto data = read_session_file(path);
    if (!data) // deleted between the stat and the read
        return nullptr;
    auto version = data->uid > 0 ? std::make_shared<session_file_version>(session_file_version{std::move(*data), {}})
                                 : nullptr;
    auto const now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    auto const settle_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(settings_.settle_time).count();
    if (now_ns - std::max(identity.mtime_ns, identity.ctime_ns) >= settle_ns)
        keep(sid, identity, version);
    return version;
}

void session_file_cache::keep(std::string const& sid, file_identity const& identity,
                              std::shared_ptr<session_file_version> version)
{
    if (settings_.max_entries == 0)
        return;
    recency_.push_front(sid);
    entries_.emplace(sid, entry{identity, std::move(version), std::chrono::steady_clock::now(), recency_.begin()});
    if (entries_.size() > settings_.max_entries) {
        entries_.erase(recency_.back());
        recency_.pop_back();
    }
}

void session_file_cache::forget(std::string const& sid)
{
    if (auto it = entries_.find(sid); it != entries_.end()) {
        recency_.erase(it->second.recency);
        entries_.erase(it);
    }
}

void session_file_cache::drop_idle()
{
    auto const oldest_kept = std::chrono::steady_clock::now() - settings_.idle_lifetime;
    while (!recency_.empty()) {
        auto it = entries_.find(recency_.back());
        if (it->second.used_at >= oldest_kept)
            return;
        entries_.erase(it);
        recency_.pop_back();
    }
}

session_file_cache_stats session_file_cache::stats() const { return {entries_.size(), reads_, hits_}; }

} // namespace lp::orm
