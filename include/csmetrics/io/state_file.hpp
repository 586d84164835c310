// SPDX-License-Identifier: Apache-2.0
// File: csmetrics/io/state_file.hpp
//
// Saving and loading a state file (the bytes of shop_metrics::serialize() or
// of any accumulator) so that no crash, kill or full disk loses it. A state
// is what a shop keeps between runs and what processes and machines exchange
// (shop_report --save-state, csm_merge, mpi_report), so replacing it must be
// all or nothing: save_state() writes the bytes to a temporary file in the
// target's folder, checks every write and the close, fsyncs the file, renames
// it over the target and fsyncs the folder so that the rename itself survives
// a power cut (the discipline of SQLite and RocksDB). A crash at any moment
// leaves the old file or the new one, never neither and never half of one.
//
//     csmetrics::save_state("shop.state", metrics.serialize());   // throws state_file_error
//     auto bytes = csmetrics::load_state("shop.state");
//     auto back = csmetrics::shop_metrics::deserialize(bytes.data(), bytes.size());
//
// The checksum of the serialized frame (core/serde.hpp) is what catches a
// file that changed after it was written; these functions move bytes only.
//
// Errors: state_file_error (a std::runtime_error) whose what() names the file
// and the operating system's reason, "data/shop.state: cannot write
// data/.shop.state.tmp-1a2b3c4d5e: No space left on device"; path() and
// os_error() (the errno value) say the same to a program. On any error of
// save_state the target is untouched and the temporary file is removed; only
// a SIGKILL or a power cut between its creation and the rename can leave a
// temporary file (".NAME.tmp-XXXXXXXXXX" beside the target), never a broken
// target. Once the rename is done the new file is in place: an error fsyncing
// the folder is still reported (the rename may not survive a power cut).
//
// Details: the new file gets the mode a plain create gives (0666 less the
// umask), not the old file's; a symbolic link at `path` is replaced by the
// file, not followed. Thread-safe (no process-wide state is changed; two
// threads saving the same path leave one of the two states).
//
// POSIX only (open, write, fsync, rename; Linux, macOS, the BSDs): the
// header does not compile elsewhere.
#ifndef CSMETRICS_IO_STATE_FILE_HPP_
#define CSMETRICS_IO_STATE_FILE_HPP_

#if !defined(__unix__) && !defined(__unix) && !(defined(__APPLE__) && defined(__MACH__))
#error "csmetrics/io/state_file.hpp needs a POSIX system (open, fsync, rename)"
#endif

#include <atomic>        // std::atomic (temporary names)
#include <cerrno>        // errno, EINTR, EINVAL, EIO, EEXIST, EISDIR
#include <chrono>        // std::chrono::steady_clock (temporary names)
#include <cstddef>       // std::size_t
#include <cstdint>       // std::uint8_t, std::uint64_t
#include <stdexcept>     // std::runtime_error
#include <string>        // std::string
#include <system_error>  // std::generic_category (the OS error's text, thread-safe strerror)
#include <vector>        // std::vector

#include <fcntl.h>     // ::open, O_* flags
#include <sys/stat.h>  // ::fstat, S_ISDIR
#include <unistd.h>    // ::read, ::write, ::fsync, ::close, ::unlink, ::getpid

#include "csmetrics/core/error.hpp"

namespace csmetrics {

/// Thrown by save_state and load_state: what() is "<path>: cannot <what>: <OS error>".
class state_file_error : public std::runtime_error {
 public:
  state_file_error(const std::string& path, const std::string& what, int os_error)
      : std::runtime_error(path + ": cannot " + what + ": " + std::generic_category().message(os_error)),
        path_(path),
        os_error_(os_error) {}
  /// The file that was being saved or loaded.
  const std::string& path() const { return path_; }
  /// The errno value of the failed call (ENOSPC, EACCES, ENOENT, ...).
  int os_error() const { return os_error_; }

 private:
  std::string path_;
  int os_error_;
};

namespace detail {

/// Writes all `size` bytes at `data` to `fd`, going on after short writes and
/// EINTR. Returns 0, or the errno of the write that failed (EIO for a write
/// that wrote nothing).
inline int write_all(int fd, const void* data, std::size_t size) noexcept {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const std::size_t chunk = size < (std::size_t{1} << 30) ? size : (std::size_t{1} << 30);
    const ::ssize_t n = ::write(fd, p, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return 0;
}

/// 10 characters of [0-9a-z] that differ between processes, threads and calls.
inline std::string temporary_suffix() {
  static std::atomic<std::uint64_t> calls{0};
  std::uint64_t x = (static_cast<std::uint64_t>(::getpid()) << 32) ^
                    static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                    (calls.fetch_add(1, std::memory_order_relaxed) * 0x9E3779B97F4A7C15ull);
  x ^= x >> 30;  // splitmix64's finalizer: every input bit moves every output character
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  std::string s(10, '0');
  for (char& c : s) {
    c = "0123456789abcdefghijklmnopqrstuvwxyz"[x % 36];
    x /= 36;
  }
  return s;
}

}  // namespace detail

/**
 * Replaces the file `path` with `size` bytes at `data`, all or nothing (see
 * the file comment): a temporary file in the same folder, every write and the
 * close checked, fsync, rename over `path`, fsync of the folder.
 * THROWS state_file_error naming `path` and the OS error; the old file is
 * then untouched and the temporary file removed.
 */
inline void save_state(const std::string& path, const void* data, std::size_t size) {
  const std::size_t slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") CSMETRICS_THROW(state_file_error(path, "save a file there", EISDIR));
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const std::string prefix = (slash == std::string::npos ? "" : path.substr(0, slash + 1)) + "." + name + ".tmp-";

  // O_EXCL with a fresh name rather than mkstemp: the mode is what a plain
  // create gives, without touching the process-wide umask.
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp = prefix + detail::temporary_suffix();
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    const int err = fd < 0 ? errno : 0;  // read before anything else may change errno
    if (fd < 0 && (err != EEXIST || attempt == 99))
      CSMETRICS_THROW(state_file_error(path, "create a temporary file in " + dir, err));
  }
  // From here on an error removes the temporary file; the target is not touched.
  auto abandon = [&](const std::string& what, int err, bool close_fd) {
    if (close_fd) ::close(fd);
    ::unlink(tmp.c_str());
    CSMETRICS_THROW(state_file_error(path, what, err));
  };
  if (const int err = detail::write_all(fd, data, size)) abandon("write " + tmp, err, true);
  if (const int err = ::fsync(fd) != 0 ? errno : 0) abandon("fsync " + tmp, err, true);
  if (const int err = ::close(fd) != 0 ? errno : 0) abandon("close " + tmp, err, false);
  if (const int err = ::rename(tmp.c_str(), path.c_str()) != 0 ? errno : 0)
    abandon("rename " + tmp + " over it", err, false);

  // The new file is in place; make the rename durable too.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (const int err = dfd < 0 ? errno : 0)
    CSMETRICS_THROW(state_file_error(path, "open its folder " + dir + " to fsync it", err));
  const int synced = ::fsync(dfd) == 0 || errno == EINVAL ? 0 : errno;  // EINVAL: the file system cannot
  ::close(dfd);
  if (synced != 0) CSMETRICS_THROW(state_file_error(path, "fsync its folder " + dir, synced));
}

/// The same for a byte vector: `csmetrics::save_state(path, m.serialize())`.
inline void save_state(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  save_state(path, bytes.data(), bytes.size());
}

/// The whole content of the file `path`. THROWS state_file_error naming
/// `path` and the OS error (a missing file: "No such file or directory").
inline std::vector<std::uint8_t> load_state(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (const int err = fd < 0 ? errno : 0) CSMETRICS_THROW(state_file_error(path, "open it", err));
  auto fail = [&](const std::string& what, int err) {
    ::close(fd);
    CSMETRICS_THROW(state_file_error(path, what, err));
  };
  struct ::stat st {};
  if (const int err = ::fstat(fd, &st) != 0 ? errno : 0) fail("stat it", err);
  if (S_ISDIR(st.st_mode)) fail("read it", EISDIR);
  // A regular file's size is known: one read fills it, the next sees the end
  // (the spare byte notices a file that grew meanwhile).
  std::vector<std::uint8_t> bytes(S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) + 1 : 65536);
  std::size_t have = 0;
  for (;;) {
    if (have == bytes.size()) bytes.resize(2 * bytes.size());
    const ::ssize_t n = ::read(fd, bytes.data() + have, bytes.size() - have);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      fail("read it", err);
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  bytes.resize(have);
  ::close(fd);
  return bytes;
}

}  // namespace csmetrics

#endif  // CSMETRICS_IO_STATE_FILE_HPP_
