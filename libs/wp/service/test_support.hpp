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

#include <unistd.h>

#include <filesystem>

namespace wp::service::testing_support {

//! A fresh (emptied) directory under the gtest temp dir, unique per process and name, so that concurrent runs of
//! the same test binary never share files.
inline std::filesystem::path fresh_test_dir(const std::string& name) {
    auto dir = std::filesystem::path(::testing::TempDir()) / ("wp_service_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace wp::service::testing_support
