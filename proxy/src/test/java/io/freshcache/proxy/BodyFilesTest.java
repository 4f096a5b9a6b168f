package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.FileRegion;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Large bodies of hot entries served from unlinked files with sendfile: same bytes, nothing left behind. */
class BodyFilesTest extends ProxyTestSupport {

  @TempDir
  Path dir;

  @Test
  void writesAnUnlinkedFileWhoseRegionsCarryTheBody() throws IOException {
    BodyFiles files = new BodyFiles(dir, 10);
    byte[] body = randomBytes(BodyFiles.MIN_BYTES + 123);
    BodyFiles.Body b = files.write(body);
    assertThat(b).isNotNull();
    assertThat(files.open()).isEqualTo(1);
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left).as("the file is unlinked once open").isEmpty();
    }
    // Two regions at once: each reads from its own offsets, and releasing one leaves the other usable.
    FileRegion first = b.region();
    FileRegion second = b.region();
    assertThat(read(first)).isEqualTo(body);
    first.release();
    assertThat(read(second)).isEqualTo(body);
    second.release();
    assertThat(read(b.region())).as("released regions do not close the body's file").isEqualTo(body);
  }

  @Test
  void shortBodiesAndBodiesBeyondTheCapStayInMemory() {
    BodyFiles files = new BodyFiles(dir, 1);
    assertThat(files.write(new byte[BodyFiles.MIN_BYTES - 1])).isNull();
    BodyFiles.Body kept = files.write(new byte[BodyFiles.MIN_BYTES]);
    assertThat(kept).isNotNull();
    assertThat(files.write(new byte[BodyFiles.MIN_BYTES])).as("cap of 1 reached").isNull();
    assertThat(files.open()).isEqualTo(1);
  }

  @Test
  void closesTheFileWhenTheBodyIsUnreachable() {
    BodyFiles files = new BodyFiles(dir, 10);
    for (int i = 0; i < 5; i++) {
      assertThat(files.write(new byte[BodyFiles.MIN_BYTES])).isNotNull();
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (files.open() > 0 && System.nanoTime() < deadline) {
      System.gc();
      await(() -> true, "gc");
    }
    assertThat(files.open()).as("open body files after their bodies were collected").isZero();
  }

  @Test
  void aBrokenDirectoryFallsBackToMemory() throws IOException {
    Path gone = Files.createDirectory(dir.resolve("gone"));
    BodyFiles files = new BodyFiles(gone, 10);
    Files.delete(gone);
    assertThat(files.write(new byte[BodyFiles.MIN_BYTES])).isNull();
    assertThat(files.open()).isZero();
  }

  @Test
  void settings() {
    assertThat(BodyFiles.of("off", 10)).isNull();
    assertThat(BodyFiles.of("", 10)).isNull();
    assertThat(BodyFiles.of(dir.toString(), 10)).isNotNull();
    assertThatThrownBy(() -> BodyFiles.of(dir.resolve("missing").toString(), 10))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("writable directory");
    assertThatThrownBy(() -> config().bodyFileDir(dir.resolve("missing").toString()).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bodyFileDir");
  }

  /** Through the proxy: identity and gzip hits of a 200 KB page, GET and HEAD, from files. */
  @Test
  void hitsOfLargeBodiesAreServedFromFiles() throws Exception {
    StringBuilder page = new StringBuilder();
    Random r = new Random(7);
    while (page.length() < 200_000) {
      page.append("row ").append(r.nextInt(1_000_000)).append(' ');
    }
    String text = page.toString();
    origin.on("/big", TestOrigin.Reply.ok(text).header("Cache-Control", "max-age=60"));
    start(b -> b.bodyFileDir(dir.toString()));
    assertThat(get("/big").body()).isEqualTo(text); // the miss: served from memory, stored
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> hit = get("/big", "Accept-Encoding", "identity");
      assertThat(header(hit, "Cache-Status")).contains("hit");
      assertThat(hit.body()).isEqualTo(text);
      HttpResponse<byte[]> gz = client.send(HttpRequest.newBuilder(url("/big")).header("Accept-Encoding", "gzip").build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertThat(header(gz, "Content-Encoding")).isEqualTo("gzip");
      assertThat(new String(new GZIPInputStream(new ByteArrayInputStream(gz.body())).readAllBytes(),
          StandardCharsets.UTF_8)).isEqualTo(text);
    }
    HttpResponse<String> head = send(HttpRequest.newBuilder(url("/big")).method("HEAD", HttpRequest.BodyPublishers.noBody()));
    assertThat(head.body()).isEmpty();
    assertThat(header(head, "Content-Length")).isEqualTo(String.valueOf(text.length()));
    assertThat(proxy.bodyFiles().open()).as("identity and gzip forms in files").isEqualTo(2);
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left).isEmpty();
    }
    assertThat(origin.count("/big")).isEqualTo(1);
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  private static byte[] read(FileRegion region) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    WritableByteChannel ch = Channels.newChannel(out);
    long done = 0;
    while (done < region.count()) {
      done += region.transferTo(ch, done);
    }
    return out.toByteArray();
  }
}
