#!/usr/bin/env python3
"""Prints a port base P such that P .. P+COUNT-1 (default 3: chain, market, core of `iexec-pool up --port-base P`)
are all bindable on 127.0.0.1 now. P is drawn at random in [20000, 32000): below the kernel's ephemeral range
(/proc/sys/net/ipv4/ip_local_port_range starts at 32768), where a port next to a free one is soon handed to some other
test's outgoing connection (a base from bind(0) failed that way in CI). The same rule as tests/up/up_anvil_test.cpp.
    port_base.py [COUNT]      exit 1 when no base is found in 200 draws"""
import random
import socket
import sys


def bindable(port: int) -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    rng = random.SystemRandom()
    for _ in range(200):
        base = rng.randrange(20000, 32000 - count)
        if all(bindable(base + k) for k in range(count)):
            print(base)
            return 0
    print("port_base.py: no free base below 32000", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
