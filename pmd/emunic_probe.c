/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_emunic: devargs, port creation, probe and remove.
 *
 *   --vdev=net_emunic0,socket=PATH[,representor=vf[0-3]][,rxq=N][,txq=N]
 *                     [,counter_refresh_ms=N][,flush=0|1][,keep_rules=0|1]
 *                     [,pull_wait=0|1]
 *   --vdev=net_emunic1,socket=PATH,vf=N       (the VM side of VF N)
 *   --vdev=net_emunic2,socket=PATH,uplink=1   (the wire's peer)
 *
 * The PF form creates the PF port (the uplink representor) and one
 * representor port per requested VF, all in one switch domain. As the
 * eSwitch manager's driver it first wipes the steering an earlier driver
 * left in the card (flush=1, the default; see docs/pmd.md), or, with
 * keep_rules=1, lists them for adoption (emunic_adopt.c). Representors
 * then follow their VFs: removed with them (RTE_ETH_EVENT_INTR_RMV), and
 * created again when they come back (RTE_ETH_EVENT_NEW); see struct
 * emunic_rep_slot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_alarm.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <bus_vdev_driver.h>

#include "emunic.h"

RTE_LOG_REGISTER_DEFAULT(emunic_logtype, NOTICE);

extern const struct eth_dev_ops emunic_ops;

/* How often the interrupt thread looks at the card (socket hang-up, health
 * and reset generation in the shared region: one poll() and a few loads).
 * It bounds how late a firmware reset is noticed when no flow operation
 * comes along first, so keep it short: at 50 ms the notice was a sixth
 * of a 100,000-flow recovery; 100 ticks a second cost nothing measurable
 * idle. */
#define EMUNIC_ALARM_US 10000

static const char *const valid_keys[] = {
    "socket", "representor", "vf", "uplink", "rxq", "txq",
    "counter_refresh_ms", "flush", "keep_rules", "pull_wait", NULL,
};

struct emunic_args {
    char socket[256];
    int vf;                     /* -1: not a VF port */
    bool uplink;
    uint16_t rxq, txq;
    uint32_t counter_refresh_ms;
    bool flush;                 /* PF: STEERING_FLUSH at probe */
    bool flush_given;
    bool keep_rules;            /* PF: adopt the card's rules, keep ours */
    bool pull_wait;             /* PF: an idle pull waits for the card */
    bool pull_wait_given;
    struct rte_eth_devargs eth_da;
};

/* ------------------------------------------------------------------------
 * Devargs
 * ------------------------------------------------------------------------ */

static int
parse_uint(const char *name, const char *key, const char *val, unsigned long lo,
           unsigned long hi, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(val, &end, 0);
    if (errno || end == val || *end != '\0' || *out < lo || *out > hi) {
        EMUNIC_LOG(ERR, "%s: bad devarg %s=%s: expected a number in %lu..%lu",
                   name, key, val, lo, hi);
        return -EINVAL;
    }
    return 0;
}

static int
parse_args(const char *name, const char *args, struct emunic_args *a)
{
    struct rte_kvargs *kv;
    unsigned long v;
    int ret = 0;

    memset(a, 0, sizeof(*a));
    a->vf = -1;
    a->counter_refresh_ms = EMUNIC_CTR_REFRESH_MS_DEFAULT;
    a->flush = true;
    a->pull_wait = true;
    if (args == NULL || args[0] == '\0') {
        EMUNIC_LOG(ERR, "%s: missing devarg socket=PATH (the card's PF "
                   "socket, see emunic --help)", name);
        return -EINVAL;
    }
    kv = rte_kvargs_parse(args, NULL);
    if (kv == NULL) {
        EMUNIC_LOG(ERR, "%s: cannot parse devargs '%s'", name, args);
        return -EINVAL;
    }
    for (unsigned i = 0; i < kv->count && ret == 0; i++) {
        const char *k = kv->pairs[i].key, *val = kv->pairs[i].value;
        unsigned j;

        for (j = 0; valid_keys[j] != NULL; j++)
            if (strcmp(k, valid_keys[j]) == 0)
                break;
        if (valid_keys[j] == NULL) {
            EMUNIC_LOG(ERR, "%s: unknown devarg '%s' (known: socket, "
                       "representor, vf, uplink, rxq, txq, "
                       "counter_refresh_ms, flush, keep_rules, pull_wait)",
                       name, k);
            ret = -EINVAL;
        } else if (val == NULL || val[0] == '\0') {
            EMUNIC_LOG(ERR, "%s: devarg '%s' needs a value", name, k);
            ret = -EINVAL;
        } else if (strcmp(k, "socket") == 0) {
            if (strlen(val) >= sizeof(a->socket) - 16) {
                EMUNIC_LOG(ERR, "%s: devarg socket=%s is too long", name, val);
                ret = -EINVAL;
            } else {
                snprintf(a->socket, sizeof(a->socket), "%s", val);
            }
        } else if (strcmp(k, "vf") == 0) {
            ret = parse_uint(name, k, val, 0, 255, &v);
            a->vf = (int)v;
        } else if (strcmp(k, "uplink") == 0) {
            ret = parse_uint(name, k, val, 0, 1, &v);
            a->uplink = v == 1;
        } else if (strcmp(k, "rxq") == 0) {
            ret = parse_uint(name, k, val, 1, EMUNIC_MAX_QUEUES, &v);
            a->rxq = (uint16_t)v;
        } else if (strcmp(k, "txq") == 0) {
            ret = parse_uint(name, k, val, 1, EMUNIC_MAX_QUEUES, &v);
            a->txq = (uint16_t)v;
        } else if (strcmp(k, "counter_refresh_ms") == 0) {
            ret = parse_uint(name, k, val, 0, EMUNIC_CTR_REFRESH_MS_MAX, &v);
            a->counter_refresh_ms = (uint32_t)v;
        } else if (strcmp(k, "flush") == 0) {
            ret = parse_uint(name, k, val, 0, 1, &v);
            a->flush = v == 1;
            a->flush_given = true;
        } else if (strcmp(k, "keep_rules") == 0) {
            ret = parse_uint(name, k, val, 0, 1, &v);
            a->keep_rules = v == 1;
        } else if (strcmp(k, "pull_wait") == 0) {
            ret = parse_uint(name, k, val, 0, 1, &v);
            a->pull_wait = v == 1;
            a->pull_wait_given = true;
        }
    }
    rte_kvargs_free(kv);
    if (ret < 0)
        return ret;
    if (a->socket[0] == '\0') {
        EMUNIC_LOG(ERR, "%s: missing devarg socket=PATH", name);
        return -EINVAL;
    }
    if (strstr(args, "representor=") != NULL) {
        if (rte_eth_devargs_parse(args, &a->eth_da) < 0 ||
            a->eth_da.nb_representor_ports == 0) {
            EMUNIC_LOG(ERR, "%s: bad devarg representor: expected e.g. "
                       "representor=vf[0-3] or representor=vf1", name);
            return -EINVAL;
        }
        if (a->eth_da.type != RTE_ETH_REPRESENTOR_VF) {
            EMUNIC_LOG(ERR, "%s: bad devarg representor: the card has VF "
                       "representors only (representor=vf[...])", name);
            return -EINVAL;
        }
        if (a->vf >= 0 || a->uplink) {
            EMUNIC_LOG(ERR, "%s: devarg representor is for the PF port; it "
                       "cannot be combined with vf= or uplink=", name);
            return -EINVAL;
        }
    }
    if (a->keep_rules && a->flush_given && a->flush) {
        EMUNIC_LOG(ERR, "%s: devargs keep_rules=1 and flush=1 contradict "
                   "each other: keep_rules adopts the rules an earlier "
                   "driver left in the card, flush wipes them", name);
        return -EINVAL;
    }
    if (a->pull_wait_given && (a->vf >= 0 || a->uplink)) {
        EMUNIC_LOG(ERR, "%s: devarg pull_wait is for the PF port (the one "
                   "with flow queues); a %s port has none", name,
                   a->vf >= 0 ? "VF" : "wire-peer");
        return -EINVAL;
    }
    if (a->keep_rules && (a->vf >= 0 || a->uplink)) {
        EMUNIC_LOG(ERR, "%s: devarg keep_rules is for the PF port (the "
                   "eSwitch manager); a %s port has no rules", name,
                   a->vf >= 0 ? "VF" : "wire-peer");
        return -EINVAL;
    }
    if (a->keep_rules)
        a->flush = false;
    if (a->vf >= 0 && a->uplink) {
        EMUNIC_LOG(ERR, "%s: devargs vf= and uplink=1 exclude each other",
                   name);
        return -EINVAL;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Adapter
 * ------------------------------------------------------------------------ */

/*
 * Stopping the alarm without rte_eal_alarm_cancel.
 *
 * The alarm re-arms itself, and DPDK's cancel, when it finds the callback
 * running on the interrupt thread, spins on the alarm list's spinlock until
 * that run is over; but the run needs the same spinlock to end (our re-arm
 * in rte_eal_alarm_set, then the EAL's removal of the entry). Natively the
 * spinner only slows the other thread down; under valgrind, which runs one
 * thread at a time and switches at fixed quanta, the spinner can hold the
 * lock at every switch forever: snicd hung at shutdown in
 * emunic_hotplug_stop's cancel while the interrupt thread yielded inside
 * adapter_alarm's rte_eal_alarm_set (tests/reliability, scenario
 * valgrind_stop). So no thread but the interrupt thread ever cancels the
 * alarm: the alarm ends itself once its adapter has no port left, and the
 * last put sleeps on a condition variable until it has.
 *
 * All alarms run on the one interrupt thread, one at a time, so one lock
 * and one condition variable serve every adapter.
 */
static struct snic_mutex alarm_mx = SNIC_MUTEX_INITIALIZER;
static pthread_cond_t alarm_cv = PTHREAD_COND_INITIALIZER;
/* under alarm_mx: the adapter whose alarm is running, if any, and one
 * whose last reference went inside that run (the run frees it) */
static struct emunic_adapter *alarm_running SNIC_GUARDED_BY(alarm_mx);
static struct emunic_adapter *alarm_frees SNIC_GUARDED_BY(alarm_mx);
/* ad->alarm_armed is under alarm_mx too: an entry pending or running */

/* Longer than any alarm run; past it the interrupt thread is stuck
 * elsewhere, and our alarm merely pending, which cancel removes at once. */
#define EMUNIC_ALARM_STOP_WAIT_S 10

static void adapter_free(struct emunic_adapter *ad);

static void
adapter_alarm(void *arg)
{
    struct emunic_adapter *ad = arg;
    bool last, free_it;

    snic_mutex_lock(&alarm_mx);
    alarm_running = ad;
    snic_mutex_unlock(&alarm_mx);
    emunic_adapter_check(ad);
    emunic_reps_sync(ad);
    snic_mutex_lock(&alarm_mx);
    alarm_running = NULL;
    last = __atomic_load_n(&ad->refcnt, __ATOMIC_ACQUIRE) == 0;
    /* a representor created after that put took a new reference */
    free_it = alarm_frees == ad && last;
    if (alarm_frees == ad)
        alarm_frees = NULL;
    if (last || rte_eal_alarm_set(EMUNIC_ALARM_US, adapter_alarm, ad) != 0)
        ad->alarm_armed = false;
    /* the last touch of @ad by this run: a waiting put may free it now */
    pthread_cond_broadcast(&alarm_cv);
    snic_mutex_unlock(&alarm_mx);
    if (free_it)
        adapter_free(ad);
}

static void
alarm_start(struct emunic_adapter *ad)
{
    snic_mutex_lock(&alarm_mx);
    ad->alarm_armed = rte_eal_alarm_set(EMUNIC_ALARM_US, adapter_alarm,
                                        ad) == 0;
    snic_mutex_unlock(&alarm_mx);
}

/* The adapter's last reference is gone: make sure no alarm run is under
 * way or to come. Returns false if the running alarm frees @ad itself. */
static bool
alarm_stop(struct emunic_adapter *ad)
{
    struct timespec until;
    bool armed;

    snic_mutex_lock(&alarm_mx);
    if (rte_thread_is_intr()) {
        /* no other alarm runs meanwhile: a cancel cannot spin here */
        if (alarm_running == ad) {
            /* a callback of our own run closed the last port */
            alarm_frees = ad;
            snic_mutex_unlock(&alarm_mx);
            return false;
        }
        snic_mutex_unlock(&alarm_mx);
        rte_eal_alarm_cancel(adapter_alarm, ad);
        return true;
    }
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += EMUNIC_ALARM_STOP_WAIT_S;
    while (ad->alarm_armed &&
           snic_cond_timedwait(&alarm_cv, &alarm_mx, &until) == 0)
        ;
    armed = ad->alarm_armed;
    snic_mutex_unlock(&alarm_mx);
    if (armed) {
        EMUNIC_LOG(WARNING, "%s: the interrupt thread ran no alarm for %d s; "
                   "cancelling ours", ad->name, EMUNIC_ALARM_STOP_WAIT_S);
        rte_eal_alarm_cancel(adapter_alarm, ad);
    }
    return true;
}

static struct emunic_adapter *
adapter_open(const char *name, const struct emunic_args *a)
{
    struct emunic_adapter *ad;
    struct fw_cmd_hdr qin;
    struct fw_query_adapter_out qout;
    uint8_t status = 0;
    uint32_t synd = 0;
    char path[sizeof(ad->path)];
    int err = ENAMETOOLONG, n;

    ad = calloc(1, sizeof(*ad));
    if (ad == NULL)
        return NULL;
    snic_mutex_init(&ad->lock);
    TAILQ_INIT(&ad->ports);
    snprintf(ad->name, sizeof(ad->name), "%s", name);
    if (a->vf >= 0)
        n = snprintf(path, sizeof(path), "%s.vf%d", a->socket, a->vf);
    else if (a->uplink)
        n = snprintf(path, sizeof(path), "%s.uplink", a->socket);
    else
        n = snprintf(path, sizeof(path), "%s", a->socket);
    if (n < 0 || (size_t)n >= sizeof(path))
        goto free_ad;
    memcpy(ad->path, path, sizeof(path));
    ad->chan = fw_chan_open(path, EMUNIC_CMD_TIMEOUT_MS);
    if (ad->chan == NULL) {
        err = errno;
        EMUNIC_LOG(ERR, "%s: cannot reach the card at %s: %s", name, path,
                   strerror(err));
        goto free_ad;
    }
    ad->function = fw_chan_function(ad->chan);
    ad->reset_gen = fw_chan_reset_generation(ad->chan);
    memset(&qin, 0, sizeof(qin));
    memset(&qout, 0, sizeof(qout));
    if (emunic_adapter_exec(ad, FW_CMD_QUERY_ADAPTER, &qin, sizeof(qin), &qout,
                            sizeof(qout), &status, &synd) < 0) {
        err = EIO;
        EMUNIC_LOG(ERR, "%s: the card at %s does not answer QUERY_ADAPTER",
                   name, path);
        goto close_chan;
    }
    if (status == FW_STATUS_OK) {
        ad->caps = qout.caps;
    } else {
        /* the wire's peer moves packets only: assume modest queues */
        ad->caps.max_queues_per_port = 1;
        ad->caps.max_queue_depth = 1024;
    }
    if (ad->caps.max_queues_per_port == 0)
        ad->caps.max_queues_per_port = 1;
    if (ad->caps.max_queue_depth == 0)
        ad->caps.max_queue_depth = 1024;
    emunic_ctr_init(ad, a->counter_refresh_ms);
    return ad;

close_chan:
    fw_chan_close(ad->chan);
free_ad:
    snic_mutex_destroy(&ad->lock);
    free(ad);
    errno = err;
    return NULL;
}

void
emunic_adapter_put(struct emunic_adapter *ad)
{
    if (__atomic_sub_fetch(&ad->refcnt, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    if (alarm_stop(ad))
        adapter_free(ad);
}

static void
adapter_free(struct emunic_adapter *ad)
{
    if (ad->has_domain)
        rte_eth_switch_domain_free(ad->switch_domain);
    if (ad->chan != NULL)
        fw_chan_close(ad->chan);
    emunic_ctr_fini(ad);
    snic_mutex_lock(&ad->lock);
    emunic_orphans_drop_locked(ad);
    snic_mutex_unlock(&ad->lock);
    snic_mutex_destroy(&ad->lock);
    free(ad);
}

/* ------------------------------------------------------------------------
 * Ports
 * ------------------------------------------------------------------------ */

struct port_params {
    struct emunic_adapter *ad;
    enum emunic_role role;
    uint16_t vport;
    uint16_t rxq, txq;
    uint16_t rep_id;
    uint32_t vf_gen;            /* representor: the VF instance it stands for */
};

/* A representor's ethdev now exists: its slot remembers which one, and
 * which instance of the VF it represents. */
static void
rep_slot_taken(struct emunic_adapter *ad, const struct port_params *pp,
               uint16_t port_id)
{
    snic_mutex_lock(&ad->lock);
    for (unsigned i = 0; i < ad->n_reps; i++)
        if (ad->reps[i].vf == pp->rep_id) {
            ad->reps[i].has_port = true;
            ad->reps[i].port_id = port_id;
            ad->reps[i].vf_gen = pp->vf_gen;
        }
    snic_mutex_unlock(&ad->lock);
}

static int
emunic_port_init(struct rte_eth_dev *dev, void *arg)
{
    const struct port_params *pp = arg;
    struct emunic_port *p = dev->data->dev_private;
    struct emunic_adapter *ad = pp->ad;
    struct fw_vport_ctx ctx;

    memset(p, 0, sizeof(*p));
    p->ad = ad;
    p->role = pp->role;
    p->vport = pp->vport;
    p->port_id = dev->data->port_id;
    p->nb_rxq_req = pp->rxq;
    p->nb_txq_req = pp->txq;
    TAILQ_INIT(&p->flows);
    dev->data->mac_addrs = rte_zmalloc(NULL, sizeof(struct rte_ether_addr), 0);
    if (dev->data->mac_addrs == NULL)
        return -ENOMEM;
    switch (pp->role) {
    case EMUNIC_ROLE_PF:
        memcpy(p->mac.addr_bytes, ad->caps.base_mac, 6);
        break;
    case EMUNIC_ROLE_REP:
        /* representors get a stable, locally administered MAC */
        memcpy(p->mac.addr_bytes, ad->caps.base_mac, 6);
        p->mac.addr_bytes[0] |= 0x02;
        p->mac.addr_bytes[5] = (uint8_t)(p->mac.addr_bytes[5] + pp->vport);
        dev->data->dev_flags |= RTE_ETH_DEV_REPRESENTOR;
        dev->data->representor_id = pp->rep_id;
        dev->data->backer_port_id = ad->pf_port_id;
        rep_slot_taken(ad, pp, dev->data->port_id);
        break;
    case EMUNIC_ROLE_VF:
        if (emunic_vport_query(ad, pp->vport, &ctx) == 0)
            memcpy(p->mac.addr_bytes, ctx.mac, 6);
        break;
    default:
        break;
    }
    if (rte_is_zero_ether_addr(&p->mac))
        rte_eth_random_addr(p->mac.addr_bytes);
    rte_ether_addr_copy(&p->mac, dev->data->mac_addrs);
    dev->dev_ops = &emunic_ops;
    dev->rx_pkt_burst = emunic_rx_burst;
    dev->tx_pkt_burst = emunic_tx_burst;
    dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC;
    dev->data->dev_link.link_speed = ad->caps.max_link_speed;
    dev->data->dev_link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
    dev->data->dev_link.link_autoneg = RTE_ETH_LINK_AUTONEG;
    dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
    __atomic_add_fetch(&ad->refcnt, 1, __ATOMIC_ACQ_REL);
    emunic_adapter_port_add(p);
    return 0;
}

/* The ethdev name of VF @vf's representor in @name; false when it does
 * not fit. */
static bool
rep_name(const struct emunic_adapter *ad, uint16_t vf,
         char name[RTE_ETH_NAME_MAX_LEN])
{
    int n = snprintf(name, RTE_ETH_NAME_MAX_LEN, "%s_representor_%u",
                     ad->name, vf);

    return n >= 0 && n < RTE_ETH_NAME_MAX_LEN;
}

/* One representor ethdev for VF @vf (instance @vf_gen), at probe or when
 * the VF appears; rte_eth_dev_create ends with rte_eth_dev_probing_finish,
 * which raises RTE_ETH_EVENT_NEW. */
static int
create_representor(struct emunic_adapter *ad, uint16_t vf, uint32_t vf_gen)
{
    struct port_params pp = {
        .ad = ad, .role = EMUNIC_ROLE_REP, .vport = FW_VPORT_VF(vf),
        .rxq = ad->rep_rxq, .txq = ad->rep_txq, .rep_id = vf,
        .vf_gen = vf_gen,
    };
    struct rte_vdev_device *vdev = ad->vdev;
    char name[RTE_ETH_NAME_MAX_LEN];
    int ret;

    if (!rep_name(ad, vf, name))
        return -ENAMETOOLONG;
    ret = rte_eth_dev_create(&vdev->device, name, sizeof(struct emunic_port),
                             NULL, NULL, emunic_port_init, &pp);
    if (ret < 0)
        EMUNIC_LOG(ERR, "%s: cannot create representor port %s: %s",
                   ad->name, name, strerror(-ret));
    return ret;
}

static int
create_representors(struct emunic_adapter *ad, const struct emunic_args *a)
{
    const struct rte_eth_devargs *da = &a->eth_da;
    uint32_t vg[FW_REGION_VF_SLOTS] = { 0 }, gen = 0;
    uint16_t num = ad->caps.num_vfs;

    ad->hotplug = fw_chan_sriov_view(ad->chan, &gen, &num, vg,
                                     FW_REGION_VF_SLOTS) == 0;
    ad->sriov_gen = gen;
    for (uint16_t i = 0; i < da->nb_representor_ports; i++) {
        uint16_t vf = da->representor_ports[i];
        bool dup = false;
        int ret;

        for (unsigned k = 0; k < ad->n_reps; k++)
            dup |= ad->reps[k].vf == vf;
        if (dup)
            continue;
        if (ad->n_reps == EMUNIC_MAX_REPS) {
            EMUNIC_LOG(ERR, "%s: bad devarg representor: at most %u "
                       "representors", ad->name, EMUNIC_MAX_REPS);
            return -E2BIG;
        }
        ad->reps[ad->n_reps++] = (struct emunic_rep_slot){
            .vf = vf, .wanted = true,
        };
        if (vf >= num && ad->hotplug) {
            /* the card tells us when it appears: created then */
            EMUNIC_LOG(NOTICE, "%s: vf%u does not exist yet (%u VFs "
                       "enabled): its representor appears with it",
                       ad->name, vf, num);
            continue;
        }
        if (vf >= num) {
            EMUNIC_LOG(ERR, "%s: bad devarg representor: vf%u does not exist, "
                       "the card has %u VFs enabled (snic-vf create)",
                       ad->name, vf, num);
            return -EINVAL;
        }
        ret = create_representor(ad, vf, vf < FW_REGION_VF_SLOTS ? vg[vf]
                                                                 : 0);
        if (ret < 0)
            return ret;
    }
    return 0;
}

void
emunic_reps_sync(struct emunic_adapter *ad)
    SNIC_EXCLUDES(ad->lock)
{
    uint32_t vg[FW_REGION_VF_SLOTS], add_gen[EMUNIC_MAX_REPS], gen;
    uint16_t num, rmv[EMUNIC_MAX_REPS], add[EMUNIC_MAX_REPS];
    unsigned n_rmv = 0, n_add = 0;

    snic_mutex_lock(&ad->lock);
    if (!ad->hotplug || ad->hotplug_off || !emunic_adapter_alive(ad) ||
        fw_chan_sriov_view(ad->chan, &gen, &num, vg,
                           FW_REGION_VF_SLOTS) < 0) {
        snic_mutex_unlock(&ad->lock);
        return;
    }
    for (unsigned i = 0; i < ad->n_reps; i++) {
        struct emunic_rep_slot *s = &ad->reps[i];
        bool exists = s->vf < num && s->vf < FW_REGION_VF_SLOTS &&
                      vg[s->vf] != 0;
        struct rte_eth_dev *dev;
        struct emunic_port *p;

        if (s->closing)
            continue;
        if (!s->has_port) {
            if (exists && s->wanted) {
                add[n_add] = s->vf;
                add_gen[n_add++] = vg[s->vf];
            }
            continue;
        }
        dev = &rte_eth_devices[s->port_id];
        p = dev->data->dev_private;
        if (__atomic_load_n(&p->gone, __ATOMIC_ACQUIRE) ||
            (exists && vg[s->vf] == s->vf_gen))
            continue;
        /* the VF went (or went and came back as a new function): its
         * rules and queues went with it in the card */
        __atomic_store_n(&p->gone, true, __ATOMIC_RELEASE);
        emunic_port_link_set(dev, false);
        rmv[n_rmv++] = s->port_id;
        EMUNIC_LOG(WARNING, "%s: vf%u is gone from the card (SR-IOV "
                   "generation %u): representor port %u removed "
                   "(RTE_ETH_EVENT_INTR_RMV); close it", ad->name, s->vf,
                   gen, s->port_id);
    }
    ad->sriov_gen = gen;
    snic_mutex_unlock(&ad->lock);
    /* callbacks outside the lock: they may call back into the driver */
    for (unsigned i = 0; i < n_rmv; i++)
        rte_eth_dev_callback_process(&rte_eth_devices[rmv[i]],
                                     RTE_ETH_EVENT_INTR_RMV, NULL);
    for (unsigned i = 0; i < n_add; i++) {
        char name[RTE_ETH_NAME_MAX_LEN];
        bool off;

        /* an application callback of this run may have closed the PF */
        snic_mutex_lock(&ad->lock);
        off = ad->hotplug_off;
        snic_mutex_unlock(&ad->lock);
        if (off)
            break;
        /* The application closed the old port on its own thread: ethdev
         * releases it (name, private data) only after our close returned.
         * Until then the name is taken; the next look creates the port. */
        if (rep_name(ad, add[i], name) && rte_eth_dev_allocated(name) != NULL)
            continue;
        if (create_representor(ad, add[i], add_gen[i]) == 0)
            EMUNIC_LOG(NOTICE, "%s: vf%u appeared: representor created "
                       "(RTE_ETH_EVENT_NEW)", ad->name, add[i]);
    }
}

void
emunic_rep_closing(struct emunic_port *p)
    SNIC_EXCLUDES(p->ad->lock)
{
    struct emunic_adapter *ad = p->ad;

    snic_mutex_lock(&ad->lock);
    for (unsigned i = 0; i < ad->n_reps; i++)
        if (ad->reps[i].has_port && ad->reps[i].port_id == p->port_id)
            ad->reps[i].closing = true;
    snic_mutex_unlock(&ad->lock);
}

void
emunic_rep_closed(struct emunic_adapter *ad, uint16_t port_id, bool gone)
    SNIC_EXCLUDES(ad->lock)
{
    snic_mutex_lock(&ad->lock);
    for (unsigned i = 0; i < ad->n_reps; i++)
        if (ad->reps[i].has_port && ad->reps[i].port_id == port_id) {
            ad->reps[i].has_port = false;
            ad->reps[i].closing = false;
            /* closed with its VF still there: the application's choice */
            ad->reps[i].wanted = gone;
        }
    snic_mutex_unlock(&ad->lock);
}

void
emunic_hotplug_stop(struct emunic_adapter *ad)
{
    snic_mutex_lock(&ad->lock);
    ad->hotplug_off = true;
    snic_mutex_unlock(&ad->lock);
    /* an alarm creating a representor right now finishes first (a later
     * run sees hotplug_off). Waited for here, not with a cancel: see
     * alarm_mx. From the interrupt thread the alarm is not running, or we
     * are inside it and it creates nothing after the flag. */
    if (rte_thread_is_intr())
        return;
    snic_mutex_lock(&alarm_mx);
    while (alarm_running == ad)
        snic_cond_wait(&alarm_cv, &alarm_mx);
    snic_mutex_unlock(&alarm_mx);
}

static int
emunic_remove(struct rte_vdev_device *vdev)
{
    uint16_t pid;

    /* ethdev refuses to close a started port: a device detached while
     * its ports run (a hot-unplug) must not leave them allocated */
    RTE_ETH_FOREACH_DEV_OF(pid, &vdev->device) {
        rte_eth_dev_stop(pid);
        rte_eth_dev_close(pid);
    }
    return 0;
}

static int
emunic_probe(struct rte_vdev_device *vdev)
{
    const char *name = rte_vdev_device_name(vdev);
    struct port_params pp = { 0 };
    struct rte_eth_dev *dev;
    struct emunic_adapter *ad;
    struct emunic_args a;
    int ret;

    if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
        EMUNIC_LOG(ERR, "%s: secondary processes are not supported", name);
        return -ENOTSUP;
    }
    ret = parse_args(name, rte_vdev_device_args(vdev), &a);
    if (ret < 0)
        return ret;
    ad = adapter_open(name, &a);
    if (ad == NULL)
        return -errno;
    pp.ad = ad;
    pp.rxq = a.rxq;
    pp.txq = a.txq;
    ad->vdev = vdev;
    ad->rep_rxq = a.rxq;
    ad->rep_txq = a.txq;
    if (a.vf >= 0) {
        pp.role = EMUNIC_ROLE_VF;
        pp.vport = FW_VPORT_VF(a.vf);
    } else if (a.uplink) {
        pp.role = EMUNIC_ROLE_UPLINK;
        pp.vport = FW_VPORT_UPLINK;
    } else {
        pp.role = EMUNIC_ROLE_PF;
        pp.vport = FW_VPORT_UPLINK;
        if (rte_eth_switch_domain_alloc(&ad->switch_domain) == 0)
            ad->has_domain = true;
    }
    /* the adapter's own reference until probe is done */
    ad->refcnt = 1;
    if (pp.role == EMUNIC_ROLE_PF)
        ad->pull_nowait = !a.pull_wait;
    /* once per device, by the switch manager only, before any flow: a VF
     * or the wire's peer must never wipe the manager's rules */
    if (pp.role == EMUNIC_ROLE_PF && a.flush &&
        (ret = emunic_adapter_flush_steering(ad)) < 0) {
        EMUNIC_LOG(ERR, "%s: cannot clear the steering an earlier driver "
                   "left in the card at %s: %s (flush=0 skips this)", name,
                   ad->path, strerror(-ret));
        goto put_adapter;
    }
    if (pp.role == EMUNIC_ROLE_PF && a.keep_rules) {
        ad->keep_rules = true;
        /* a card before ABI 1.3 cannot list its rules: nothing can be
         * adopted, and what it holds must not stay unknown */
        if (fw_chan_abi_minor(ad->chan) < 3) {
            EMUNIC_LOG(WARNING, "%s: keep_rules: the card at %s speaks ABI "
                       "1.%u, which cannot list its rules (1.3): flushing "
                       "them instead", name, ad->path,
                       fw_chan_abi_minor(ad->chan));
            ret = emunic_adapter_flush_steering(ad);
        } else {
            ret = emunic_orphans_load(ad);
        }
        if (ret < 0) {
            EMUNIC_LOG(ERR, "%s: keep_rules: cannot read the rules an "
                       "earlier driver left in the card at %s: %s", name,
                       ad->path, strerror(-ret));
            goto put_adapter;
        }
    }
    dev = rte_eth_vdev_allocate(vdev, sizeof(struct emunic_port));
    if (dev == NULL) {
        ret = -ENOMEM;
        goto put_adapter;
    }
    ad->pf_port_id = dev->data->port_id;
    ret = emunic_port_init(dev, &pp);
    if (ret < 0) {
        rte_eth_dev_release_port(dev);
        goto put_adapter;
    }
    rte_eth_dev_probing_finish(dev);
    if (pp.role == EMUNIC_ROLE_PF && a.eth_da.nb_representor_ports > 0) {
        ret = create_representors(ad, &a);
        if (ret < 0) {
            emunic_adapter_put(ad);
            emunic_remove(vdev);
            return ret;
        }
    }
    alarm_start(ad);
    EMUNIC_LOG(INFO, "%s: %s port %u on %s (profile %s, %u VFs, %s mode)",
               name, pp.role == EMUNIC_ROLE_VF ? "VF" :
               pp.role == EMUNIC_ROLE_UPLINK ? "uplink" : "PF",
               dev->data->port_id, ad->path, emunic_profile(&ad->caps),
               ad->caps.num_vfs, ad->caps.esw_mode == FW_ESW_SWITCHDEV ?
               "switchdev" : "legacy");
    emunic_adapter_put(ad);
    return 0;

put_adapter:
    emunic_adapter_put(ad);
    return ret;
}

static struct rte_vdev_driver emunic_vdev_drv = {
    .probe = emunic_probe,
    .remove = emunic_remove,
};

RTE_PMD_REGISTER_VDEV(net_emunic, emunic_vdev_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_emunic,
    "socket=<path> representor=vf[<list>] vf=<n> uplink=<0|1> "
    "rxq=<n> txq=<n> counter_refresh_ms=<0..60000> flush=<0|1> "
    "keep_rules=<0|1> pull_wait=<0|1>");
