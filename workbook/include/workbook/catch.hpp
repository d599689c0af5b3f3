// Catch2, whichever major version the system has (Debian 12 ships v2; newer
// systems ship v3). The build defines WB_CATCH2_MAJOR.
#pragma once

// Print std::optional and std::pair values in failure messages.
#ifndef CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#endif
#ifndef CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#endif

#if defined(WB_CATCH2_MAJOR) && WB_CATCH2_MAJOR >= 3
#include <catch2/catch_test_macros.hpp>
#include <catch2/catch_translate_exception.hpp>
#include <catch2/matchers/catch_matchers_floating_point.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <catch2/matchers/catch_matchers_vector.hpp>
#else
#include <catch2/catch.hpp>
#endif
