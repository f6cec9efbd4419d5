#include "tcp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <thread>

namespace wp::sys {
namespace {

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

  private:
    int fd_;
};

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

}  // namespace

Result<std::uint16_t> find_free_tcp_port() {
    Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
    if (fd.get() < 0) return make_error(Errc::kIo, std::string("socket: ") + std::strerror(errno));
    sockaddr_in addr = loopback(0);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return make_error(Errc::kIo, std::string("bind 127.0.0.1:0: ") + std::strerror(errno));
    socklen_t len = sizeof addr;
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        return make_error(Errc::kIo, std::string("getsockname: ") + std::strerror(errno));
    return ntohs(addr.sin_port);
}

Result<void> wait_for_tcp_port(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
    sockaddr_in addr = loopback(port);
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
        return make_error(Errc::kInvalidArgument, "wait_for_tcp_port: not an IPv4 address: " + host);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
        if (fd.get() < 0) return make_error(Errc::kIo, std::string("socket: ") + std::strerror(errno));
        if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return {};
        if (std::chrono::steady_clock::now() >= deadline)
            return make_error(Errc::kTimeout, host + ":" + std::to_string(port) + " not accepting connections after " +
                                                  std::to_string(timeout.count()) + " ms");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace wp::sys
