package dev.convoy.pipeline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.hdfs.HadoopFileSystemOptions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A real HDFS for tests: Hadoop's MiniDFSCluster (a NameNode and one DataNode in this JVM, files
 * under a test folder), and the client settings that point Beam's {@code hdfs://} filesystem at it.
 */
public final class MiniHdfs {
  private MiniHdfs() {}

  /** Starts an HDFS keeping its files under {@code dir}, and waits until it serves. */
  public static MiniDFSCluster start(Path dir) throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.toString());
    MiniDFSCluster dfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    dfs.waitActive();
    return dfs;
  }

  /** Client settings for {@code dfs}: its URI as the default filesystem. */
  public static Configuration client(MiniDFSCluster dfs) {
    Configuration client = new Configuration();
    client.set("fs.defaultFS", dfs.getURI().toString());
    return client;
  }

  /** Points {@code options}, and this JVM's default {@link FileSystems}, at {@code dfs}. */
  public static void register(MiniDFSCluster dfs, HadoopFileSystemOptions options) {
    options.setHdfsConfiguration(List.of(client(dfs)));
    FileSystems.setDefaultPipelineOptions(options);
  }
}
