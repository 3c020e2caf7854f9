/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Peer credentials of a local socket against a policy (include/snic/peer.h).
 * Everything here reads the kernel's record taken at connect() or the
 * account databases; nothing reads /proc/PID, whose PID may be a different
 * process by the time it is read.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "snic/peer.h"

/* A getpwuid_r / getgrnam_r buffer grows until the entry fits: a group
 * line with thousands of members is legal. */
#define PEER_BUF_START  1024u
#define PEER_BUF_MAX    (16u << 20)

static bool
peer_groups_have(const gid_t *groups, size_t n, gid_t group)
{
    for (size_t i = 0; i < n; i++)
        if (groups[i] == group)
            return true;
    return false;
}

/* 1 member, 0 not, -errno when the kernel cannot tell (old kernel). */
static int
peer_sock_in_group(int fd, gid_t group)
{
    socklen_t len = 64 * sizeof(gid_t);
    gid_t *groups = NULL;
    int r;

    for (;;) {
        gid_t *grown = realloc(groups, len ? len : sizeof(gid_t));

        if (grown == NULL) {
            r = -ENOMEM;
            break;
        }
        groups = grown;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
            r = peer_groups_have(groups, len / sizeof(gid_t), group);
            break;
        }
        /* ERANGE: len now holds the size needed */
        if (errno != ERANGE) {
            r = -errno;
            break;
        }
    }
    free(groups);
    return r;
}

bool
snic_peer_uid_in_group(uid_t uid, gid_t gid, gid_t group)
{
    struct passwd pw, *found = NULL;
    size_t size = PEER_BUF_START;
    char *buf = NULL;
    gid_t *groups = NULL;
    int n = 64;
    bool member = false;

    if (gid == group)
        return true;
    for (;;) {
        char *grown = realloc(buf, size);
        int r;

        if (grown == NULL)
            goto out;
        buf = grown;
        r = getpwuid_r(uid, &pw, buf, size, &found);
        if (r == 0)
            break;
        if (r != ERANGE || size >= PEER_BUF_MAX)
            goto out;
        size *= 2;
    }
    if (found == NULL)
        goto out;   /* a uid with no account is in no group's member list */
    for (;;) {
        gid_t *grown = realloc(groups, (size_t)n * sizeof(*groups));
        int want = n;

        if (grown == NULL)
            goto out;
        groups = grown;
        if (getgrouplist(pw.pw_name, gid, groups, &want) >= 0) {
            member = peer_groups_have(groups, (size_t)want, group);
            break;
        }
        if (want <= n)      /* no bigger size asked for: give up */
            break;
        n = want;
    }
out:
    free(groups);
    free(buf);
    return member;
}

int
snic_peer_check(int fd, const struct snic_peer_policy *policy,
                struct snic_peer *peer, char *why, size_t size)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    int r;

    memset(peer, 0, sizeof(*peer));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        r = -errno;
        snprintf(why, size, "cannot read peer credentials: %s",
                 strerror(-r));
        return r;
    }
    peer->pid = cred.pid;
    peer->uid = cred.uid;
    peer->gid = cred.gid;
    if (cred.uid == 0 || cred.uid == policy->owner)
        return 0;
    if (policy->group != SNIC_PEER_NO_GROUP) {
        if (cred.gid == policy->group)
            return 0;
        r = peer_sock_in_group(fd, policy->group);
        if (r == 1)
            return 0;
        if (snic_peer_uid_in_group(cred.uid, cred.gid, policy->group))
            return 0;
    }
    if (policy->group != SNIC_PEER_NO_GROUP)
        snprintf(why, size, "uid %u (pid %d) is not allowed: only root, uid "
                 "%u and members of group %u may connect",
                 (unsigned)cred.uid, (int)cred.pid, (unsigned)policy->owner,
                 (unsigned)policy->group);
    else
        snprintf(why, size, "uid %u (pid %d) is not allowed: only root and "
                 "uid %u may connect", (unsigned)cred.uid, (int)cred.pid,
                 (unsigned)policy->owner);
    return -EACCES;
}

int
snic_peer_group_lookup(const char *name, gid_t *gid)
{
    struct group gr, *found = NULL;
    size_t size = PEER_BUF_START;
    char *buf = NULL, *end;
    unsigned long num;
    int r;

    if (name == NULL || name[0] == '\0')
        return -EINVAL;
    for (;;) {
        char *grown = realloc(buf, size);

        if (grown == NULL) {
            free(buf);
            return -ENOMEM;
        }
        buf = grown;
        r = getgrnam_r(name, &gr, buf, size, &found);
        if (r != ERANGE || size >= PEER_BUF_MAX)
            break;
        size *= 2;
    }
    if (r == 0 && found != NULL) {
        *gid = gr.gr_gid;
        free(buf);
        return 0;
    }
    free(buf);
    /* a number names a group even when the database has no name for it */
    errno = 0;
    num = strtoul(name, &end, 10);
    if (name[0] >= '0' && name[0] <= '9' && *end == '\0' && errno == 0
        && num < (unsigned long)SNIC_PEER_NO_GROUP) {
        *gid = (gid_t)num;
        return 0;
    }
    return r != 0 && r != ENOENT ? -r : -ENOENT;
}
