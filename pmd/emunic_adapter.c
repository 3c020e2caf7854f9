/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The adapter: one firmware channel shared by every port of a vdev, and the
 * watch over the card's health.
 *
 * A channel that reports -EPIPE / -ETIMEDOUT / -EPROTO is dead for good: the
 * adapter stops using it, ports report link down and flow operations fail
 * with EIO. A firmware reset is not death: the device keeps answering but
 * has forgotten our steering tables, rules and counters; the adapter bumps
 * its generation (flows of an older generation are known lost) and raises
 * RTE_ETH_EVENT_INTR_RESET so the control plane re-installs.
 *
 * A VF port whose VF was removed (SR-IOV lowered) sees its socket hang up
 * like a dead card, but its function socket is gone too: that is a
 * hot-unplug, raised as RTE_ETH_EVENT_INTR_RMV after the link-down, and
 * the port is marked gone. Representors of removed VFs are the PF
 * adapter's business (emunic_reps_sync).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <rte_alarm.h>
#include <rte_ethdev.h>
#include <ethdev_driver.h>

#include "emunic.h"

bool
emunic_adapter_alive(struct emunic_adapter *ad)
{
    return ad->chan != NULL && !__atomic_load_n(&ad->dead, __ATOMIC_ACQUIRE);
}

void
emunic_port_link_set(struct rte_eth_dev *dev, bool up)
{
    struct rte_eth_link link;

    rte_eth_linkstatus_get(dev, &link);
    link.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
    rte_eth_linkstatus_set(dev, &link);
}

static void
adapter_mark_dead(struct emunic_adapter *ad, int err)
    SNIC_REQUIRES(ad->lock)
{
    if (ad->dead)
        return;
    __atomic_store_n(&ad->dead, true, __ATOMIC_RELEASE);
    ad->dead_event = true;
    EMUNIC_LOG(ERR, "%s: the card at %s stopped answering (%s): ports are "
               "down, flow operations fail until the device is re-probed",
               ad->name, ad->path, strerror(-err));
}

void
emunic_adapter_fail_locked(struct emunic_adapter *ad, int err)
    SNIC_REQUIRES(ad->lock)
{
    if (err == -EPIPE || err == -ETIMEDOUT || err == -EPROTO)
        adapter_mark_dead(ad, err);
}

int
emunic_adapter_exec_locked(struct emunic_adapter *ad, uint16_t opcode,
                           void *in, size_t in_size, void *out,
                           size_t out_size, uint8_t *status,
                           uint32_t *syndrome)
    SNIC_REQUIRES(ad->lock)
{
    int ret;

    if (!emunic_adapter_alive(ad))
        return -EPIPE;
    /* flow queue commands a push left in flight: theirs to keep */
    emunic_async_drain_locked(ad);
    if (!emunic_adapter_alive(ad))
        return -EPIPE;
    ret = fw_chan_exec(ad->chan, opcode, in, in_size, out, out_size, status,
                       syndrome, EMUNIC_CMD_TIMEOUT_MS);
    emunic_adapter_fail_locked(ad, ret);
    return ret;
}

int
emunic_adapter_exec_batch_locked(struct emunic_adapter *ad,
                                 struct emunic_cmd *cmds, unsigned n)
    SNIC_REQUIRES(ad->lock)
{
    struct fw_completion c[8];
    unsigned posted = 0, got = 0;
    int ret = 0, post_err = 0;

    if (!emunic_adapter_alive(ad))
        return -EPIPE;
    emunic_async_drain_locked(ad);
    if (!emunic_adapter_alive(ad))
        return -EPIPE;
    /* as fw_chan_exec: reaping here must not swallow others' completions */
    if (fw_chan_inflight(ad->chan) != 0)
        return -EBUSY;
    if (n > fw_chan_space(ad->chan))
        return -EINVAL;
    for (; posted < n; posted++) {
        cmds[posted].status = 0;
        cmds[posted].synd = 0;
        post_err = fw_chan_post(ad->chan, cmds[posted].opcode,
                                cmds[posted].in, cmds[posted].in_size,
                                cmds[posted].out, cmds[posted].out_size,
                                &cmds[posted]);
        if (post_err < 0)
            break;
    }
    /* what was posted is rung and reaped even when a later post failed:
     * the slots must come back */
    if (posted > 0) {
        int r = fw_chan_doorbell(ad->chan);

        if (r < 0)
            ret = r;
    }
    while (ret >= 0 && got < posted) {
        int k = fw_chan_reap(ad->chan, c, RTE_MIN(posted - got,
                                                  (unsigned)RTE_DIM(c)),
                             EMUNIC_CMD_TIMEOUT_MS);

        if (k <= 0) {
            ret = k < 0 ? k : -ETIMEDOUT;
            break;
        }
        for (int i = 0; i < k; i++) {
            struct emunic_cmd *cmd = c[i].cookie;

            cmd->status = c[i].status;
            cmd->synd = c[i].syndrome;
        }
        got += (unsigned)k;
    }
    emunic_adapter_fail_locked(ad, ret);
    return ret < 0 ? ret : post_err;
}

int
emunic_adapter_exec(struct emunic_adapter *ad, uint16_t opcode, void *in,
                    size_t in_size, void *out, size_t out_size,
                    uint8_t *status, uint32_t *syndrome)
    SNIC_EXCLUDES(ad->lock)
{
    int ret;

    snic_mutex_lock(&ad->lock);
    ret = emunic_adapter_exec_locked(ad, opcode, in, in_size, out, out_size,
                                     status, syndrome);
    snic_mutex_unlock(&ad->lock);
    return ret;
}

/* 0 with the command done, or a negative errno (transport or status). */
static int
exec_ok(struct emunic_adapter *ad, uint16_t opcode, void *in, size_t in_size,
        void *out, size_t out_size)
{
    uint8_t status = 0;
    uint32_t synd = 0;
    int ret;

    ret = emunic_adapter_exec(ad, opcode, in, in_size, out, out_size, &status,
                              &synd);
    if (ret < 0)
        return ret;
    return status == FW_STATUS_OK ? 0 : -fw_status_errno(status);
}

int
emunic_vport_stats(struct emunic_adapter *ad, uint16_t vport,
                   struct fw_vport_stats_out *out)
{
    struct fw_vport_query_in in = { .vport = vport };

    memset(out, 0, sizeof(*out));
    return exec_ok(ad, FW_CMD_VPORT_STATS, &in, sizeof(in), out, sizeof(*out));
}

int
emunic_vport_query(struct emunic_adapter *ad, uint16_t vport,
                   struct fw_vport_ctx *ctx)
{
    struct fw_vport_query_in in = { .vport = vport };
    struct fw_vport_query_out out;
    int ret;

    memset(&out, 0, sizeof(out));
    ret = exec_ok(ad, FW_CMD_VPORT_QUERY, &in, sizeof(in), &out, sizeof(out));
    if (ret == 0)
        *ctx = out.ctx;
    return ret;
}

/* The card keeps steering across drivers, as hardware does: rules of a
 * driver that died (SIGKILL, or a channel we gave up on) would otherwise
 * stay in the card next to our own re-installed copies, use its capacity
 * twice and keep forwarding after the flow is deleted. */
int
emunic_adapter_flush_steering(struct emunic_adapter *ad)
    SNIC_EXCLUDES(ad->lock)
{
    struct fw_steering_flush_in in;
    uint8_t status = 0;
    uint32_t synd = 0;
    char sbuf[96];
    int ret;

    if (fw_chan_abi_minor(ad->chan) < 1)
        return 0;
    memset(&in, 0, sizeof(in));
    ret = emunic_adapter_exec(ad, FW_CMD_STEERING_FLUSH, &in, sizeof(in),
                              NULL, 0, &status, &synd);
    if (ret < 0)
        return ret;
    /* a 1.0 firmware that claims 1.1 has nothing of ours to keep either */
    if (status == FW_STATUS_OK || status == FW_STATUS_BAD_OPCODE)
        return 0;
    EMUNIC_LOG(ERR, "%s: STEERING_FLUSH refused: %s (%s)", ad->name,
               fw_status_str(status), fw_syndrome_str(synd, sbuf,
                                                      sizeof(sbuf)));
    return -fw_status_errno(status);
}

void
emunic_adapter_port_add(struct emunic_port *p)
    SNIC_EXCLUDES(p->ad->lock)
{
    struct emunic_adapter *ad = p->ad;

    snic_mutex_lock(&ad->lock);
    TAILQ_INSERT_TAIL(&ad->ports, p, ad_next);
    snic_mutex_unlock(&ad->lock);
}

void
emunic_adapter_port_del(struct emunic_port *p)
    SNIC_EXCLUDES(p->ad->lock)
{
    struct emunic_adapter *ad = p->ad;

    snic_mutex_lock(&ad->lock);
    TAILQ_REMOVE(&ad->ports, p, ad_next);
    snic_mutex_unlock(&ad->lock);
}

/* Every port of @ad. Its state changes under ad->lock, where no port can
 * close half-way (emunic_adapter_port_del); the callbacks run without it
 * (they may call back into the driver, a close included) and get port ids
 * only: ethdev's entry of a port outlives its private data. */
static void
adapter_notify(struct emunic_adapter *ad, enum rte_eth_event_type ev)
    SNIC_EXCLUDES(ad->lock)
{
    uint16_t pids[RTE_MAX_ETHPORTS];
    struct emunic_port *p;
    unsigned n = 0;

    snic_mutex_lock(&ad->lock);
    TAILQ_FOREACH(p, &ad->ports, ad_next) {
        struct rte_eth_dev *dev = &rte_eth_devices[p->port_id];

        if (ev == RTE_ETH_EVENT_INTR_RMV)
            __atomic_store_n(&p->gone, true, __ATOMIC_RELEASE);
        if (ev == RTE_ETH_EVENT_INTR_LSC || ev == RTE_ETH_EVENT_INTR_RMV)
            emunic_port_link_set(dev, false);
        if (n < RTE_DIM(pids))
            pids[n++] = p->port_id;
    }
    snic_mutex_unlock(&ad->lock);
    for (unsigned i = 0; i < n; i++)
        rte_eth_dev_callback_process(&rte_eth_devices[pids[i]], ev, NULL);
}

bool
emunic_adapter_sync_locked(struct emunic_adapter *ad)
    SNIC_REQUIRES(ad->lock)
{
    uint32_t gen;

    if (!emunic_adapter_alive(ad))
        return false;
    gen = fw_chan_reset_generation(ad->chan);
    if (gen == ad->reset_gen)
        return false;
    EMUNIC_LOG(WARNING, "%s: firmware reset (generation %u -> %u): the card "
               "lost every steering rule, table and counter; flows created "
               "before it are lost (query fails, destroy only frees them): "
               "re-install them (RTE_ETH_EVENT_INTR_RESET)",
               ad->name, ad->reset_gen, gen);
    ad->reset_gen = gen;
    ad->generation++;
    ad->n_groups = 0;
    ad->reset_event = true;
    /* the earlier driver's rules went with ours */
    emunic_orphans_drop_locked(ad);
    return true;
}

/* The channel of a VF's own driver died and the VF's socket is gone with
 * it: the card removed the function (a dead card leaves its sockets). */
static bool
adapter_vf_removed(const struct emunic_adapter *ad)
{
    return ad->function != FW_FUNC_PF && ad->function != FW_FUNC_UPLINK &&
           access(ad->path, F_OK) != 0 && errno == ENOENT;
}

static void
adapter_check(struct emunic_adapter *ad, bool poll_socket)
    SNIC_EXCLUDES(ad->lock)
{
    bool died, reset, removed;
    struct pollfd pfd;

    snic_mutex_lock(&ad->lock);
    if (ad->chan != NULL && !ad->dead && poll_socket) {
        pfd.fd = fw_chan_fd(ad->chan);
        pfd.events = POLLRDHUP;
        pfd.revents = 0;
        if (fw_chan_dead(ad->chan))
            adapter_mark_dead(ad, -EPIPE);
        else if (poll(&pfd, 1, 0) > 0 &&
                 (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR)))
            adapter_mark_dead(ad, -EPIPE);
    }
    emunic_adapter_sync_locked(ad);
    /* a command may have seen the death or the reset first: each event is
     * raised once, here, outside the lock (callbacks may call back into
     * the driver) */
    died = ad->dead_event;
    reset = ad->reset_event;
    ad->dead_event = false;
    ad->reset_event = false;
    removed = died && adapter_vf_removed(ad);
    snic_mutex_unlock(&ad->lock);
    if (died)
        adapter_notify(ad, RTE_ETH_EVENT_INTR_LSC);
    if (removed) {
        EMUNIC_LOG(WARNING, "%s: VF %u was removed from the card (%s is "
                   "gone): port removed (RTE_ETH_EVENT_INTR_RMV)", ad->name,
                   ad->function, ad->path);
        adapter_notify(ad, RTE_ETH_EVENT_INTR_RMV);
    }
    if (reset)
        adapter_notify(ad, RTE_ETH_EVENT_INTR_RESET);
}

void
emunic_adapter_check(struct emunic_adapter *ad)
    SNIC_EXCLUDES(ad->lock)
{
    adapter_check(ad, true);
}

void
emunic_adapter_check_quick(struct emunic_adapter *ad)
    SNIC_EXCLUDES(ad->lock)
{
    adapter_check(ad, false);
}
