package dev.convoy.runners.cluster;

import dev.convoy.ir.ConvoyException;
import dev.convoy.runners.runner.ConvoyBuild;

/**
 * A run was about to be submitted to a cluster that runs another Convoy build than the client's:
 * the cluster loads its own Convoy classes parent-first, so the job would run the cluster's code,
 * not this build's. The message says how to restart the cluster on this build.
 */
public final class StaleClusterException extends ConvoyException {
  public StaleClusterException(String master, ConvoyBuild cluster, ConvoyBuild client) {
    super("cluster at " + master + " runs Convoy " + cluster + "; this build is " + client
        + "; restart it with ./convoy cluster stop && ./convoy cluster start");
  }
}
