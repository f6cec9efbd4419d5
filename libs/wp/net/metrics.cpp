#include "metrics.hpp"

#include <cassert>
#include <charconv>
#include <cmath>

namespace wp::net {
namespace {

bool valid_name(std::string_view n, bool label) {
    if (n.empty()) return false;
    for (std::size_t i = 0; i < n.size(); ++i) {
        const char c = n[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return !(label && n.size() >= 2 && n[0] == '_' && n[1] == '_');
}

void add_double(std::atomic<double>& a, double d) {
    double old = a.load(std::memory_order_relaxed);
    while (!a.compare_exchange_weak(old, old + d, std::memory_order_relaxed)) {}
}

std::string escape_help(std::string_view h) {
    std::string out;
    for (char c : h) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out.push_back(c);
    }
    return out;
}

void append_labels(std::string& out, const MetricLabels& labels, const std::string* le) {
    if (labels.empty() && !le) return;
    out.push_back('{');
    bool first = true;
    for (const auto& [k, v] : labels) {
        if (!first) out.push_back(',');
        first = false;
        out += k;
        out += "=\"";
        out += escape_label_value(v);
        out.push_back('"');
    }
    if (le) {
        if (!first) out.push_back(',');
        out += "le=\"";
        out += *le;
        out.push_back('"');
    }
    out.push_back('}');
}

}  // namespace

std::string format_metric_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<std::int64_t>(v));
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

std::string escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out.push_back(c);
    }
    return out;
}

void Gauge::add(double d) { add_double(value_, d); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
    for (std::size_t i = 0; i + 1 < bounds_.size(); ++i) assert(bounds_[i] < bounds_[i + 1]);
    for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
    std::size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    add_double(sum_, v);
    count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<double> default_latency_buckets() { return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}; }

MetricsRegistry::Series& MetricsRegistry::series(std::string_view name, std::string_view help, Type type,
                                                 const MetricLabels& labels, const std::vector<double>* bounds) {
    assert(valid_name(name, false) && "metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*");
    for ([[maybe_unused]] const auto& [k, v] : labels)
        assert(valid_name(k, true) && !(type == Type::kHistogram && k == "le") && "bad label name");
    std::lock_guard lock(mutex_);
    auto it = families_.find(name);
    if (it == families_.end())
        it = families_
                 .emplace(std::string(name),
                          Family{type, std::string(help), bounds ? *bounds : std::vector<double>{}, {}})
                 .first;
    Family& f = it->second;
    assert(f.type == type && "metric registered with two types");
    assert((!bounds || f.bounds == *bounds) && "histogram registered with two bucket lists");
    for (auto& s : f.series)
        if (s.labels == labels) return s;
    Series& s = f.series.emplace_back();
    s.labels = labels;
    switch (type) {
        case Type::kCounter: s.counter = std::make_unique<Counter>(); break;
        case Type::kGauge: s.gauge = std::make_unique<Gauge>(); break;
        case Type::kHistogram: s.histogram = std::make_unique<Histogram>(f.bounds); break;
    }
    return s;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help, const MetricLabels& labels) {
    return *series(name, help, Type::kCounter, labels, nullptr).counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, const MetricLabels& labels) {
    return *series(name, help, Type::kGauge, labels, nullptr).gauge;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                                      const MetricLabels& labels) {
    return *series(name, help, Type::kHistogram, labels, &bounds).histogram;
}

std::string MetricsRegistry::render() const {
    std::string out;
    std::lock_guard lock(mutex_);
    for (const auto& [name, f] : families_) {
        out += "# HELP " + name + " " + escape_help(f.help) + "\n";
        out += "# TYPE " + name + " " +
               (f.type == Type::kCounter ? "counter"
                : f.type == Type::kGauge ? "gauge"
                                         : "histogram") +
               "\n";
        for (const auto& s : f.series) {
            if (s.counter || s.gauge) {
                out += name;
                append_labels(out, s.labels, nullptr);
                out += ' ';
                out += s.counter ? std::to_string(s.counter->value()) : format_metric_value(s.gauge->value());
                out += '\n';
                continue;
            }
            const Histogram& h = *s.histogram;
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
                cumulative += h.bucket(i);
                const std::string le = i < h.bounds().size() ? format_metric_value(h.bounds()[i]) : "+Inf";
                out += name + "_bucket";
                append_labels(out, s.labels, &le);
                out += ' ' + std::to_string(cumulative) + '\n';
            }
            out += name + "_sum";
            append_labels(out, s.labels, nullptr);
            out += ' ' + format_metric_value(h.sum()) + '\n';
            out += name + "_count";
            append_labels(out, s.labels, nullptr);
            out += ' ' + std::to_string(cumulative) + '\n';
        }
    }
    return out;
}

}  // namespace wp::net
