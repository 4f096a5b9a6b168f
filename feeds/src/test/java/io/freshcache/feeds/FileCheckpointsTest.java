package io.freshcache.feeds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileCheckpointsTest {
  @TempDir Path dir;

  @Test
  void savesAndLoadsPerSourceSurvivingANewInstance() throws Exception {
    Checkpoints c = Checkpoints.directory(dir.resolve("cp"));
    assertThat(c.load("pg")).isEmpty();
    c.save("pg", "e/1/2");
    c.save("pg", "e/1/3");
    c.save("couch", "17-abc");
    Checkpoints again = Checkpoints.directory(dir.resolve("cp"));
    assertThat(again.load("pg")).contains("e/1/3");
    assertThat(again.load("couch")).contains("17-abc");
    try (var files = Files.list(dir.resolve("cp"))) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("pg.checkpoint", "couch.checkpoint");
    }
  }

  @Test
  void rejectsNamesThatWouldEscapeTheDirectory() {
    Checkpoints c = Checkpoints.directory(dir);
    assertThatThrownBy(() -> c.save("../x", "1")).hasMessageContaining("source: '../x' (expected:");
    assertThatThrownBy(() -> c.load("")).hasMessageContaining("source: ''");
  }
}
