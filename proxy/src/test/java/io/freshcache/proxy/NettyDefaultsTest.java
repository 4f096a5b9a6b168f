package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.Test;

/**
 * What the proxy relies on Netty to do by default instead of configuring it (each option set on an
 * accepted connection is a system call): client connections get TCP_NODELAY, so a response's last
 * segment is not held back waiting for an ACK.
 */
class NettyDefaultsTest {

  @Test
  void socketChannelsTurnOnTcpNoDelayWhenMade() {
    NioSocketChannel nio = new NioSocketChannel();
    try {
      assertThat(nio.config().isTcpNoDelay()).isTrue();
    } finally {
      nio.unsafe().closeForcibly();
    }
    if (Epoll.isAvailable()) {
      EpollSocketChannel epoll = new EpollSocketChannel();
      try {
        assertThat(epoll.config().isTcpNoDelay()).isTrue();
      } finally {
        epoll.unsafe().closeForcibly();
      }
    }
  }
}
