/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Who may talk to a local socket: the one check emunic's function sockets
 * and snicd's control socket share.
 *
 * File modes are the first gate and depend on whoever set them up (a umask
 * of 000 at start, a folder opened by hand). The second gate does not:
 * at accept, the kernel's record of the connecting process (SO_PEERCRED,
 * taken at connect(), so no PID that could be reused in between) is
 * compared with a policy: root, the owner uid, and, when configured, one
 * group. Group membership is the peer's primary gid, its supplementary
 * groups as the kernel recorded them at connect (SO_PEERGROUPS, any number
 * of them), or the group database for its uid (getgrouplist, with the whole
 * list however long).
 *
 * Thread-safety: every function is safe from any thread (getpwuid_r,
 * getgrouplist).
 */
#ifndef SNIC_PEER_H
#define SNIC_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SNIC_PEER_NO_GROUP  ((gid_t)-1)

struct snic_peer_policy {
    uid_t owner;            /* allowed besides root; usually geteuid() */
    gid_t group;            /* allowed group, or SNIC_PEER_NO_GROUP */
};

struct snic_peer {
    pid_t pid;              /* at connect(); for log lines only */
    uid_t uid;
    gid_t gid;
};

/*
 * Check the process at the other end of the connected Unix socket @fd.
 * Returns 0 when @policy allows it, -EACCES when it does not, another
 * -errno when the credentials cannot be read. *@peer is filled whenever
 * they could be read. @why (@size bytes) gets a one-line reason on refusal.
 */
int snic_peer_check(int fd, const struct snic_peer_policy *policy,
                    struct snic_peer *peer, char *why, size_t size);

/* Is @uid (whose primary group is @gid) a member of @group in the group
 * database? */
bool snic_peer_uid_in_group(uid_t uid, gid_t gid, gid_t group);

/* A group by name or number. 0, -ENOENT (no such group) or -errno. */
int snic_peer_group_lookup(const char *name, gid_t *gid);

#endif /* SNIC_PEER_H */
