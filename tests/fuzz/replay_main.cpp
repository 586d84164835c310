// SPDX-License-Identifier: Apache-2.0
// File: tests/fuzz/replay_main.cpp
//
// The main() of the replay executables: runs a fuzz target once on every file
// named on the command line (a directory means every regular file in it,
// sorted by name), so the seed corpora are regression tests in every build,
// with any compiler and without libFuzzer. A target that finds a broken
// invariant aborts; an input that throws an unexpected exception fails too.
// Exit status 1 when no input was found (a wrong path must not pass quietly).
#include <algorithm>   // std::sort
#include <cstdint>     // std::uint8_t
#include <cstdio>      // std::fprintf
#include <exception>   // std::exception
#include <filesystem>  // std::filesystem::directory_iterator
#include <fstream>     // std::ifstream
#include <iterator>    // std::istreambuf_iterator
#include <string>      // std::string
#include <vector>      // std::vector

#include "fuzz_support.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path p(argv[i]);
    if (fs::is_directory(p)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      inputs.insert(inputs.end(), files.begin(), files.end());
    } else {
      inputs.push_back(p);
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...: no input found\n", argc > 0 ? argv[0] : "replay");
    return 1;
  }
  for (const fs::path& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", p.string().c_str());
      return 1;
    }
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: unexpected exception: %s\n", p.string().c_str(), e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "replayed %zu inputs\n", inputs.size());
  return 0;
}
