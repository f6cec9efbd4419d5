#pragma once
// Helpers shared by the service tests (header only, not part of the library's API).

#include <gtest/gtest.h>

#include <string>
#include <string_view>

//! EXPECT that `haystack` contains `needle`, printing both otherwise.
#define WP_EXPECT_CONTAINS(haystack, needle)                                                                   \
    do {                                                                                                       \
        const std::string wp_h_ = (haystack);                                                                  \
        const std::string wp_n_ = (needle);                                                                    \
        EXPECT_NE(wp_h_.find(wp_n_), std::string::npos) << "expected to find: " << wp_n_ << "\nin: " << wp_h_; \
    } while (false)
