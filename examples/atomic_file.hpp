// SPDX-License-Identifier: Apache-2.0
// File: examples/atomic_file.hpp
//
// Crash-safe replacement of a file (POSIX), for every example that writes a
// state file: a state is what a shop keeps between runs, so a crash, a kill
// or a full disk while saving must never leave half a file in its place.
// The bytes go to a temporary file in the target's folder; every write and
// the close are checked, the file is fsynced, renamed over the target, and
// the folder is fsynced so that the rename itself survives a power cut. On
// any error the temporary file is removed, the old target is untouched and
// std::runtime_error names the file and the OS error. (A SIGKILL can leave
// the temporary file, ".<name>.XXXXXX" beside the target, never a broken
// target.)
#ifndef CSMETRICS_EXAMPLES_ATOMIC_FILE_HPP_
#define CSMETRICS_EXAMPLES_ATOMIC_FILE_HPP_

#include <cerrno>     // errno, EINTR, EINVAL, EIO
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint8_t
#include <cstdio>     // std::rename
#include <cstdlib>    // ::mkstemp
#include <cstring>    // std::strerror
#include <stdexcept>  // std::runtime_error
#include <string>     // std::string
#include <vector>     // std::vector (mkstemp's writable template)

#include <fcntl.h>     // ::open, O_RDONLY, O_DIRECTORY
#include <sys/stat.h>  // ::fchmod, ::umask
#include <unistd.h>    // ::write, ::fsync, ::close, ::unlink

namespace demo {

/// Replaces `path` with `size` bytes at `data`, all or nothing (see above).
inline void write_file_atomically(const std::string& path, const void* data, std::size_t size) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp = (slash == std::string::npos ? "" : path.substr(0, slash + 1)) + "." + name + ".XXXXXX";
  auto fail = [&path](const std::string& what, int err) {
    throw std::runtime_error(path + ": cannot " + what + ": " + std::strerror(err));
  };
  std::vector<char> templ(tmp.begin(), tmp.end());
  templ.push_back('\0');
  const int fd = ::mkstemp(templ.data());
  if (fd < 0) fail("create a temporary file in " + dir, errno);
  tmp = templ.data();
  // From here on an error removes the temporary file; the target is not touched.
  auto abandon = [&](const std::string& what, int err, bool close_fd) {
    if (close_fd) ::close(fd);
    ::unlink(tmp.c_str());
    fail(what, err);
  };
  const mode_t mask = ::umask(0);  // mkstemp makes 0600; give it what a plain create would
  ::umask(mask);
  if (::fchmod(fd, 0666 & ~mask) != 0) abandon("set the mode of " + tmp, errno, true);
  const char* p = static_cast<const char*>(data);
  for (std::size_t left = size; left > 0;) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) abandon("write " + tmp, n < 0 ? errno : EIO, true);
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) abandon("fsync " + tmp, errno, true);
  if (::close(fd) != 0) abandon("close " + tmp, errno, false);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) abandon("rename " + tmp + " over it", errno, false);
  // The new file is in place; make the rename durable too.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd < 0) fail("open its folder " + dir + " to fsync it", errno);
  const int synced = ::fsync(dfd) == 0 || errno == EINVAL ? 0 : errno;  // EINVAL: the file system cannot
  ::close(dfd);
  if (synced != 0) fail("fsync its folder " + dir, synced);
}

/// The same for a byte vector.
inline void write_file_atomically(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  write_file_atomically(path, bytes.data(), bytes.size());
}

}  // namespace demo

#endif  // CSMETRICS_EXAMPLES_ATOMIC_FILE_HPP_
