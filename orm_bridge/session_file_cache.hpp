// Odoo session files, parsed once per version of the file.
#pragma once

#include "orm_bridge/odoo_session_file.hpp"
#include "orm_bridge/session_token_memo.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lp::orm {

/// One version of a logged-in session file, parsed, and what has been checked of it since.
struct session_file_version {
    odoo_session_data data;
    session_token_memo token; ///< the file's session_token against its user's row
};

struct session_file_cache_settings {
    std::size_t max_entries = 100000;                  ///< past this, the least recently used go
    std::chrono::milliseconds idle_lifetime{600000};   ///< an entry unused for this long is dropped
    std::chrono::milliseconds settle_time{2000};       ///< a file changed more recently is not kept
};

struct session_file_cache_stats {
    std::size_t entries = 0;
    std::uint64_t reads = 0; ///< files read and parsed
    std::uint64_t hits = 0;  ///< finds answered from a kept version
};

/// The session files of `<data_dir>/sessions`, each kept parsed until it changes. Every find
/// stats the file (one system call) and uses the kept version only when its device, inode,
/// size, mtime and ctime are those it was read with: a deleted file (Odoo's logout) is no
/// session at once, a rewritten one (Odoo writes a new file and renames it over the old)
/// is read again. A file modified less than settle_time ago is read on every find and not
/// kept, since a rewrite in place within one tick of the filesystem's clock would leave its
/// stat unchanged (git's "racily clean" problem). Sessions nobody is logged in to are kept
/// too, as "no session".
///
/// Bounded: at most max_entries, and an entry unused for idle_lifetime is dropped; each find
/// drops at most the entries that are due, oldest first, without scanning the others.
///
/// Errors: find() throws as load_session_file (std::invalid_argument for a corrupt or too
/// large file, std::system_error when it cannot be read or stat'ed); nothing is kept then.
class session_file_cache {
public:
    explicit session_file_cache(std::filesystem::path sessions_dir, session_file_cache_settings settings = {});

    /// The current version of session sid's file, or nullptr when the id is malformed, there
    /// is no file, or nobody is logged in to it. The version stays valid while held, even
    /// when the cache drops it.
    std::shared_ptr<session_file_version> find(std::string const& sid);

    session_file_cache_stats stats() const;

private:
    /// What a file's stat says about its version, and which candidate path it is.
    struct file_identity {
        std::uintmax_t device = 0, inode = 0, size = 0;
        std::int64_t mtime_ns = 0, ctime_ns = 0;
        std::size_t candidate = 0;
        bool operator==(file_identity const&) const = default;
    };
    struct entry {
        file_identity identity;
        std::shared_ptr<session_file_version> version; // nullptr: nobody is logged in
        std::chrono::steady_clock::time_point used_at;
        std::list<std::string>::iterator recency;
    };

    std::shared_ptr<session_file_version> read(std::string const& sid, std::filesystem::path const& path,
                                               file_identity const& identity);
    void keep(std::string const& sid, file_identity const& identity, std::shared_ptr<session_file_version> version);
    void forget(std::string const& sid);
    void drop_idle();

    std::filesystem::path sessions_dir_;
    session_file_cache_settings settings_;
    std::unordered_map<std::string, entry> entries_;
    std::list<std::string> recency_; // most recently used first
    std::uint64_t reads_ = 0;
    std::uint64_t hits_ = 0;
};

} // namespace lp::orm
