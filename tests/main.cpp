// SPDX-License-Identifier: Apache-2.0
// The Catch2 main of every test executable when the installed Catch2 has no
// prebuilt Catch2WithMain (Debian's has; see CMakeLists.txt).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
