/**
 * The acceptance suite: every numbered line of the contract (DESIGN.md, "Semantics") proven through the
 * public surfaces only — {@code sail-volume} as a subprocess (from a distribution tree laid out by
 * {@code bin/package --tree}), the Java API ({@code Volume}, {@code MountedVolume}), the real service, a
 * real S3 server and real FUSE mounts. Figures are measured by the S3 server's own counters and the
 * service's {@code /metrics}, never by the code under test. Tests are named after the line they prove:
 *
 * <ol>
 *   <li>volumes per org, minted when asked, kept across unmounts, many mounts at once: {@link dev.sail.volumes.acceptance.VolumesIT}</li>
 *   <li>absolute mount path, never {@code /}; refused at once without FUSE: {@link dev.sail.volumes.acceptance.MountPathIT}</li>
 *   <li>writes local until commit, read-your-writes, kept across unmount and kill -9: {@link dev.sail.volumes.acceptance.LocalWritesIT}</li>
 *   <li>commit: id, atomic, only what the service lacks, durable: {@link dev.sail.volumes.acceptance.CommitIT}</li>
 *   <li>merging per path, last accepted writer wins and is reported, history kept: {@link dev.sail.volumes.acceptance.MergingIT}</li>
 *   <li>reload: metadata only, cost of the change not the size, discard and stash, open files: {@link dev.sail.volumes.acceptance.ReloadIT}</li>
 *   <li>lazy listing and bytes, hash verification, bounded cache: {@link dev.sail.volumes.acceptance.LazinessIT}</li>
 *   <li>chunk layout, one-chunk rewrites, tail appends, free renames and copies, org-scoped dedup: {@link dev.sail.volumes.acceptance.ChunksIT}</li>
 *   <li>bytes only between guest and S3, presigned URLs scoped and short-lived: {@link dev.sail.volumes.acceptance.DataPathIT}</li>
 *   <li>no locking across mounts, no live remote file system, notebook saves: {@link dev.sail.volumes.acceptance.WorkloadsIT}</li>
 * </ol>
 *
 * Also {@link dev.sail.volumes.acceptance.QuickstartIT} ({@code sail-volume quickstart}) and
 * {@link dev.sail.volumes.acceptance.DistributionIT} ({@code bin/package}). Run with
 * {@code mvn -B -o -pl acceptance verify} after the modules are built; it needs root, {@code /dev/fuse} and
 * {@code fuse3 libfuse3-3}.
 */
package dev.sail.volumes.acceptance;
