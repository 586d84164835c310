// SPDX-License-Identifier: Apache-2.0
// save_state / load_state (io/state_file.hpp): round trips, and every error
// leaves the old file untouched, no temporary file behind and a message that
// names the file and the OS error: a missing folder, a folder that is not
// writable, a target that is a folder, a file system that is full (a file
// size limit, RLIMIT_FSIZE, stands in for it: no mount needed; and a write to
// /dev/full gives ENOSPC), a missing file to load.
#include "csmetrics/io/state_file.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <functional>
#include <random>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

using csmetrics::load_state;
using csmetrics::save_state;
using csmetrics::state_file_error;

namespace {

/// A fresh folder under $TMPDIR (or /tmp), removed with its files at the end.
class temp_folder {
 public:
  temp_folder() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/state_file_test.XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    REQUIRE(::mkdtemp(buf.data()) != nullptr);
    path_ = buf.data();
    ::chmod(path_.c_str(), 0755);  // a child running as nobody must reach into it
  }
  ~temp_folder() { remove_all(path_); }
  temp_folder(const temp_folder&) = delete;
  temp_folder& operator=(const temp_folder&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  static void remove_all(const std::string& p) {
    ::chmod(p.c_str(), 0755);
    for (const std::string& name : list(p)) {
      const std::string child = p + "/" + name;
      struct ::stat st {};
      if (::lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        remove_all(child);
      else
        ::unlink(child.c_str());
    }
    ::rmdir(p.c_str());
  }
  std::string path_;

 public:
  /// The names in folder `p`, sorted, without "." and "..".
  static std::vector<std::string> list(const std::string& p) {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(p.c_str())) {
      while (const ::dirent* e = ::readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
      }
      ::closedir(d);
    }
    std::sort(names.begin(), names.end());
    return names;
  }
};

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// What save_state said in a child process: "" when it succeeded.
struct child_result {
  bool ran = false;    ///< the child could be set up (fork, setuid)
  std::string error;   ///< what() of the exception, "" when none
  int os_error = 0;
};

/// Runs `setup` then save_state(path, bytes) in a forked child (so that a
/// setuid or a resource limit does not touch this process). `setup` returns
/// false when the child cannot be prepared (the caller skips).
child_result save_in_child(const std::string& path, const std::vector<std::uint8_t>& bytes,
                           const std::function<bool()>& setup) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const ::pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string msg = "X";  // X: setup failed; S: saved; E<errno> <what>: the error
    if (setup()) {
      try {
        save_state(path, bytes);
        msg = "S";
      } catch (const state_file_error& e) {
        msg = "E" + std::to_string(e.os_error()) + " " + e.what();
      } catch (const std::exception& e) {
        msg = std::string("E0 ") + e.what();
      }
    }
    const ssize_t n = ::write(fds[1], msg.data(), msg.size());
    ::_exit(n == static_cast<ssize_t>(msg.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    msg.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  child_result r;
  REQUIRE_FALSE(msg.empty());
  if (msg[0] == 'X') return r;
  r.ran = true;
  if (msg[0] == 'E') {
    const std::size_t space = msg.find(' ');
    r.os_error = std::atoi(msg.substr(1, space - 1).c_str());
    r.error = msg.substr(space + 1);
  }
  return r;
}

/// Drops to user and group nobody (65534) when running as root.
bool as_nobody_if_root() {
  if (::geteuid() != 0) return true;
  return ::setgid(65534) == 0 && ::setuid(65534) == 0;
}

}  // namespace

TEST_CASE("state_file: round trip", "[state_file]") {
  temp_folder dir;
  const std::string target = dir / "state.bin";

  SECTION("new files of every size, then replaced") {
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{4096}, std::size_t{3} << 20}) {
      const auto bytes = random_bytes(n, n + 1);
      save_state(target, bytes);
      CHECK((load_state(target) == bytes));  // (( )): a bool, not 3 MB printed by -s
      CHECK(temp_folder::list(dir.path()) == std::vector<std::string>{"state.bin"});  // no temporary left
    }
  }
  SECTION("the pointer and size overload") {
    const std::string text = "csmetrics";
    save_state(target, text.data(), text.size());
    const auto back = load_state(target);
    CHECK(std::string(back.begin(), back.end()) == text);
  }
  SECTION("the mode a plain create gives (0666 less the umask)") {
    const ::mode_t old_mask = ::umask(022);
    save_state(target, random_bytes(10, 1));
    ::umask(old_mask);
    struct ::stat st {};
    REQUIRE(::stat(target.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);
  }
  SECTION("a path without a folder: the current folder") {
    std::vector<char> cwd(4096);
    REQUIRE(::getcwd(cwd.data(), cwd.size()) != nullptr);
    REQUIRE(::chdir(dir.path().c_str()) == 0);
    const auto bytes = random_bytes(100, 7);
    save_state("plain.bin", bytes);
    const auto back = load_state("plain.bin");
    REQUIRE(::chdir(cwd.data()) == 0);
    CHECK((back == bytes));
    CHECK(temp_folder::list(dir.path()) == std::vector<std::string>{"plain.bin"});
  }
}

TEST_CASE("state_file: an error keeps the old file and names the file and the OS error", "[state_file]") {
  temp_folder dir;
  const auto old_bytes = random_bytes(1000, 1);
  const auto new_bytes = random_bytes(200000, 2);

  SECTION("a folder that does not exist") {
    const std::string target = dir / "missing/state.bin";
    try {
      save_state(target, new_bytes);
      FAIL("saved into a missing folder");
    } catch (const state_file_error& e) {
      CHECK(contains(e.what(), target));
      CHECK(contains(e.what(), std::strerror(ENOENT)));
      CHECK(e.path() == target);
      CHECK(e.os_error() == ENOENT);
    }
    CHECK(temp_folder::list(dir.path()).empty());
  }

  SECTION("a folder that is not writable (as nobody when root)") {
    const std::string ro = dir / "read-only";
    REQUIRE(::mkdir(ro.c_str(), 0755) == 0);
    const std::string target = ro + "/state.bin";
    save_state(target, old_bytes);
    ::chmod(target.c_str(), 0666);  // the file is writable, its folder is not
    ::chmod(ro.c_str(), 0555);
    const child_result r = save_in_child(target, new_bytes, as_nobody_if_root);
    ::chmod(ro.c_str(), 0755);
    if (!r.ran) {
      WARN("SKIPPED the read-only folder: cannot run the save as user nobody");
    } else {
      CHECK(contains(r.error, target));
      CHECK(contains(r.error, std::strerror(EACCES)));
      CHECK(r.os_error == EACCES);
    }
    CHECK((load_state(target) == old_bytes));
    CHECK(temp_folder::list(ro) == std::vector<std::string>{"state.bin"});
  }

  SECTION("a full file system: writes fail part-way (a file size limit stands in for it)") {
    const std::string target = dir / "state.bin";
    save_state(target, old_bytes);
    const child_result r = save_in_child(target, new_bytes, [] {
      std::signal(SIGXFSZ, SIG_IGN);  // the write fails with EFBIG instead of killing the process
      const ::rlimit lim{65536, 65536};
      return ::setrlimit(RLIMIT_FSIZE, &lim) == 0;
    });
    REQUIRE(r.ran);
    CHECK(contains(r.error, target));
    CHECK(contains(r.error, "cannot write"));
    CHECK(contains(r.error, std::strerror(EFBIG)));
    CHECK(r.os_error == EFBIG);
    CHECK((load_state(target) == old_bytes));
    CHECK(temp_folder::list(dir.path()) == std::vector<std::string>{"state.bin"});
  }

  SECTION("a full device: /dev/full refuses the write with ENOSPC") {
    const int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      WARN("SKIPPED /dev/full: cannot open it: " << std::strerror(errno));
    } else {
      CHECK(csmetrics::detail::write_all(fd, new_bytes.data(), new_bytes.size()) == ENOSPC);
      CHECK(csmetrics::detail::write_all(fd, new_bytes.data(), 0) == 0);  // nothing to write: no error
      ::close(fd);
      const state_file_error e("x/state.bin", "write x/.state.bin.tmp-0", ENOSPC);
      CHECK(std::string(e.what()) == std::string("x/state.bin: cannot write x/.state.bin.tmp-0: ") +
                                         std::strerror(ENOSPC));
    }
  }

  SECTION("a target that is a folder") {
    const std::string target = dir / "a-folder.bin";
    REQUIRE(::mkdir(target.c_str(), 0755) == 0);
    REQUIRE(::mkdir((target + "/inside").c_str(), 0755) == 0);  // rename cannot replace a non-empty folder
    CHECK_THROWS_AS(save_state(target, new_bytes), state_file_error);
    struct ::stat st {};
    CHECK((::stat(target.c_str(), &st) == 0 && S_ISDIR(st.st_mode)));
    CHECK(temp_folder::list(dir.path()) == std::vector<std::string>{"a-folder.bin"});
  }

  SECTION("a path that names no file") {
    for (const std::string& bad : {dir.path() + "/", dir / ".", dir / "..", std::string()}) {
      try {
        save_state(bad, new_bytes);
        FAIL("saved to " << bad);
      } catch (const state_file_error& e) {
        CHECK(e.path() == bad);
        CHECK(contains(e.what(), std::strerror(EISDIR)));
      }
    }
    CHECK(temp_folder::list(dir.path()).empty());
  }
}

TEST_CASE("state_file: load_state names the file it cannot read", "[state_file]") {
  temp_folder dir;
  SECTION("a missing file") {
    const std::string missing = dir / "no-such.state";
    try {
      load_state(missing);
      FAIL("loaded a missing file");
    } catch (const state_file_error& e) {
      CHECK(std::string(e.what()) == missing + ": cannot open it: " + std::strerror(ENOENT));
      CHECK(e.os_error() == ENOENT);
    }
  }
  SECTION("a folder") {
    try {
      load_state(dir.path());
      FAIL("loaded a folder");
    } catch (const state_file_error& e) {
      CHECK(contains(e.what(), dir.path()));
      CHECK(e.os_error() == EISDIR);
    }
  }
  SECTION("a file that is not a regular file: read to its end") {
    const auto bytes = load_state("/dev/null");
    CHECK(bytes.empty());
  }
}
