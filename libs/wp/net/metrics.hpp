#pragma once
// Prometheus metrics: a registry of counters, gauges and histograms with label sets, rendered in the text
// exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/). No Asio / Beast here.
//
// - A family is a metric name with HELP text and a type; each distinct label set of a family is one series.
//   counter() / gauge() / histogram() return a reference to the series, created on first use; the reference stays
//   valid as long as the registry. Look a series up once and keep the reference: incrementing it is one atomic
//   operation (relaxed), with no lock.
// - Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* (not starting with "__", and not
//   "le" on a histogram); registering one name with two types, or a histogram with two bucket lists, is a programmer
//   error (assert).
// - Output (render()): families sorted by name, series in creation order; per family "# HELP name text" (text with
//   '\' and newline escaped) and "# TYPE name counter|gauge|histogram", then one line per series:
//   `name{label="value",...} 42`. Label values escape '\' as \\, '"' as \" and newline as \n. Values: integers
//   print as integers, other doubles in the shortest round-trip form, +Inf / -Inf / NaN. A histogram prints
//   `name_bucket{...,le="0.5"} n` per bound (cumulative counts) plus le="+Inf", then `name_sum` and `name_count`.
//
// Thread safety: every member function may be called from any thread concurrently.

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wp::net {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
  public:
    void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> value_{0};
};

class Gauge {
  public:
    void set(double v) { value_.store(v, std::memory_order_relaxed); }
    void add(double d);
    void inc() { add(1); }
    void dec() { add(-1); }
    double value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0};
};

class Histogram {
  public:
    //! `bounds`: strictly increasing finite upper bounds (the +Inf bucket is implicit).
    explicit Histogram(std::vector<double> bounds);
    //! Counts `v` in the first bucket whose bound is >= v, adds it to the sum.
    void observe(double v);
    const std::vector<double>& bounds() const { return bounds_; }
    //! Non-cumulative count of bucket i (i == bounds().size(): the +Inf bucket).
    std::uint64_t bucket(std::size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
    std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
    double sum() const { return sum_.load(std::memory_order_relaxed); }

  private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
    std::atomic<std::uint64_t> count_{0};
    std::atomic<double> sum_{0};
};

//! Default latency buckets in seconds (the Prometheus client defaults): 0.005 ... 10.
std::vector<double> default_latency_buckets();

class MetricsRegistry {
  public:
    Counter& counter(std::string_view name, std::string_view help, const MetricLabels& labels = {});
    Gauge& gauge(std::string_view name, std::string_view help, const MetricLabels& labels = {});
    Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                         const MetricLabels& labels = {});

    //! The exposition text (format 0.0.4, see above).
    std::string render() const;

    //! Content-Type of render()'s output.
    static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  private:
    enum class Type { kCounter, kGauge, kHistogram };
    struct Series {
        MetricLabels labels;
        std::unique_ptr<Counter> counter;
        std::unique_ptr<Gauge> gauge;
        std::unique_ptr<Histogram> histogram;
    };
    struct Family {
        Type type;
        std::string help;
        std::vector<double> bounds;
        std::deque<Series> series;
    };
    Series& series(std::string_view name, std::string_view help, Type type, const MetricLabels& labels,
                   const std::vector<double>* bounds);

    mutable std::mutex mutex_;
    std::map<std::string, Family, std::less<>> families_;
};

//! Formats a sample value the way render() does ("42", "0.25", "+Inf", "NaN").
std::string format_metric_value(double v);
//! Escapes a label value (\\, \", \n).
std::string escape_label_value(std::string_view v);

}  // namespace wp::net
