/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device lifecycle and the firmware command processor: the one gate every
 * command passes (length, fault knobs, health, opcode, privilege), then the
 * input discipline of extensible structs shared by all handlers.
 *
 * Order of checks, as documented in docs/firmware-abi.md: header length ->
 * DROP_NEXT -> calling function exists -> FATAL health -> opcode known ->
 * privilege -> FAIL_NEXT -> op_mod -> out_size holds a header -> handler
 * (input length, output length, reserved fields, semantics, then apply).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snic_clock.h"
#include "emu_dev_priv.h"

enum emu_perm {
    EMU_PERM_PF,        /* eSwitch manager only */
    EMU_PERM_FUNC,      /* PF and VFs; handlers restrict VFs further */
    EMU_PERM_ANY,       /* every function, the uplink peer included */
};

struct emu_cmd_desc {
    uint16_t opcode;
    uint8_t perm;
    emu_cmd_fn fn;
};

static uint8_t emu_cmd_query_adapter(struct emu_dev *dev, struct emu_cmd *cmd);
static uint8_t emu_cmd_query_health(struct emu_dev *dev, struct emu_cmd *cmd);

static const struct emu_cmd_desc emu_cmds[] = {
    { FW_CMD_QUERY_ADAPTER, EMU_PERM_ANY, emu_cmd_query_adapter },
    { FW_CMD_QUERY_HEALTH, EMU_PERM_ANY, emu_cmd_query_health },
    { FW_CMD_FUNCTION_RESET, EMU_PERM_FUNC, emu_cmd_function_reset },
    { FW_CMD_SRIOV_ENABLE, EMU_PERM_PF, emu_cmd_sriov_enable },
    { FW_CMD_SRIOV_DISABLE, EMU_PERM_PF, emu_cmd_sriov_disable },
    { FW_CMD_ESWITCH_GET_MODE, EMU_PERM_FUNC, emu_cmd_esw_get_mode },
    { FW_CMD_ESWITCH_SET_MODE, EMU_PERM_PF, emu_cmd_esw_set_mode },
    { FW_CMD_VPORT_QUERY, EMU_PERM_FUNC, emu_cmd_vport_query },
    { FW_CMD_VPORT_MODIFY, EMU_PERM_FUNC, emu_cmd_vport_modify },
    { FW_CMD_VPORT_STATS, EMU_PERM_FUNC, emu_cmd_vport_stats },
    { FW_CMD_TABLE_CREATE, EMU_PERM_PF, emu_cmd_table_create },
    { FW_CMD_TABLE_DESTROY, EMU_PERM_PF, emu_cmd_table_destroy },
    { FW_CMD_STEERING_FLUSH, EMU_PERM_PF, emu_cmd_steering_flush },
    { FW_CMD_STEERING_RECLAIM, EMU_PERM_PF, emu_cmd_steering_reclaim },
    { FW_CMD_RULE_ADD, EMU_PERM_PF, emu_cmd_rule_add },
    { FW_CMD_RULE_DELETE, EMU_PERM_PF, emu_cmd_rule_delete },
    { FW_CMD_RULE_QUERY, EMU_PERM_PF, emu_cmd_rule_query },
    { FW_CMD_COUNTER_ALLOC, EMU_PERM_PF, emu_cmd_counter_alloc },
    { FW_CMD_COUNTER_FREE, EMU_PERM_PF, emu_cmd_counter_free },
    { FW_CMD_COUNTER_QUERY, EMU_PERM_PF, emu_cmd_counter_query },
    { FW_CMD_COUNTER_MOVED, EMU_PERM_PF, emu_cmd_counter_moved },
    { FW_CMD_RSS_CTX_CREATE, EMU_PERM_PF, emu_cmd_rss_ctx_create },
    { FW_CMD_RSS_CTX_DESTROY, EMU_PERM_PF, emu_cmd_rss_ctx_destroy },
    { FW_CMD_DEBUG_FAULT, EMU_PERM_PF, emu_cmd_debug_fault },
};

/* ------------------------------------------------------------------------
 * Commands handled here
 * ------------------------------------------------------------------------ */

static uint8_t
emu_cmd_query_adapter(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_cmd_hdr in;
    struct fw_query_adapter_out *out = (void *)cmd->out;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0 ||
        (st = emu_cmd_need_out(cmd, sizeof(*out))) != 0)
        return st;
    out->caps = dev->caps;
    cmd->out_len = sizeof(*out);
    return FW_STATUS_OK;
}

/* Extensible output: each 1.2 field only when the driver's out_size covers
 * it. The steering counts are the eSwitch manager's business: a VF (or the
 * wire's peer) reads zeros, as it may not read or program steering. */
static uint8_t
emu_cmd_query_health(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_cmd_hdr in;
    struct fw_query_health_out *out = (void *)cmd->out;
    bool manager = cmd->function == FW_FUNC_PF;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0 ||
        (st = emu_cmd_need_out(cmd, offsetof(struct fw_query_health_out,
                                              rules))) != 0)
        return st;
    out->health = dev->health;
    out->reset_generation = dev->reset_generation;
    out->fatal_syndrome = dev->fatal_syndrome;
    out->uptime_ms = (uint32_t)((snic_now_ns() - dev->start_ns) / 1000000u);
    out->commands = dev->commands;
    out->commands_failed = dev->commands_failed;
    cmd->out_len = offsetof(struct fw_query_health_out, rules);
    if (cmd->hdr.out_size >= offsetof(struct fw_query_health_out,
                                      tombstones)) {
        out->rules = manager ? dev->steer.n_rules : 0;
        out->tables = manager ? dev->steer.n_tables : 0;
        cmd->out_len = offsetof(struct fw_query_health_out, tombstones);
    }
    if (cmd->hdr.out_size >= offsetof(struct fw_query_health_out,
                                      rules_added)) {
        out->tombstones = manager ? dev->steer.n_tombstones : 0;
        out->rsvd = 0;
        cmd->out_len = offsetof(struct fw_query_health_out, rules_added);
    }
    if (cmd->hdr.out_size >= sizeof(*out)) {
        out->rules_added = manager ? dev->steer.n_added : 0;
        out->rules_deleted = manager ? dev->steer.n_deleted : 0;
        cmd->out_len = sizeof(*out);
    }
    return FW_STATUS_OK;
}

/* ------------------------------------------------------------------------
 * The gate
 * ------------------------------------------------------------------------ */

static const struct emu_cmd_desc *
emu_cmd_find(uint16_t opcode)
{
    for (size_t i = 0; i < sizeof(emu_cmds) / sizeof(emu_cmds[0]); i++)
        if (emu_cmds[i].opcode == opcode)
            return &emu_cmds[i];
    return NULL;
}

/* 0 when @function may issue @d at all; handlers narrow VFs further. */
static uint8_t
emu_cmd_check_perm(const struct emu_dev *dev, struct emu_cmd *cmd,
                   const struct emu_cmd_desc *d)
{
    (void)dev;
    if (cmd->function == FW_FUNC_PF || d->perm == EMU_PERM_ANY)
        return FW_STATUS_OK;
    if (cmd->function == FW_FUNC_UPLINK || d->perm == EMU_PERM_PF)
        return emu_fail(cmd, FW_STATUS_NO_PERM,
                        FW_SYND(FW_SYND_PRIVILEGE, 0, 0));
    return FW_STATUS_OK;
}

static uint8_t
emu_cmd_run(struct emu_dev *dev, struct emu_cmd *cmd, unsigned *flags)
{
    const struct emu_cmd_desc *d;
    uint16_t opcode = cmd->hdr.opcode;
    uint8_t st;

    if (cmd->hdr.in_size < sizeof(struct fw_cmd_hdr) ||
        cmd->hdr.in_size > FW_SLOT_IN_MAX)
        return emu_fail(cmd, FW_STATUS_BAD_INPUT_LEN,
                        FW_SYND(FW_SYND_LENGTH, 0, sizeof(struct fw_cmd_hdr)));
    /* the knob of whoever debugs must never lock the harness out */
    if (opcode != FW_CMD_DEBUG_FAULT) {
        if (emu_fault_take(&dev->faults.drop_next, opcode)) {
            *flags |= EMU_EXEC_NO_COMPLETION;
            return FW_STATUS_INTERNAL;
        }
        if (emu_fault_take(&dev->faults.garbage_next, opcode))
            *flags |= EMU_EXEC_GARBAGE_TOKEN;
    }
    if (emu_func_is_vf(dev, cmd->function) &&
        cmd->function >= dev->caps.num_vfs)
        return emu_fail(cmd, FW_STATUS_BAD_STATE,
                        FW_SYND(FW_SYND_SRIOV, 0, cmd->function));
    if (dev->health == FW_HEALTH_FATAL && opcode != FW_CMD_QUERY_HEALTH &&
        opcode != FW_CMD_FUNCTION_RESET)
        return emu_fail(cmd, FW_STATUS_INTERNAL, dev->fatal_syndrome);
    d = emu_cmd_find(opcode);
    if (d == NULL)
        return emu_fail(cmd, FW_STATUS_BAD_OPCODE, FW_SYND(0, 0, opcode));
    if ((st = emu_cmd_check_perm(dev, cmd, d)) != 0)
        return st;
    if (opcode != FW_CMD_DEBUG_FAULT &&
        emu_fault_take(&dev->faults.fail_next, opcode)) {
        st = dev->faults.fail_next.status;
        return emu_fail(cmd, st ? st : FW_STATUS_INTERNAL,
                        FW_SYND(FW_SYND_INJECTED, 0, opcode));
    }
    if (cmd->hdr.op_mod != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    if ((st = emu_cmd_need_out(cmd, sizeof(struct fw_out_hdr))) != 0)
        return st;
    return d->fn(dev, cmd);
}

void
emu_dev_prefetch(const struct emu_dev *dev, uint16_t function,
                 const void *in, uint32_t in_size, unsigned stage)
{
    struct fw_rule_delete_in del;

    /* only the eSwitch manager deletes rules */
    if (function != FW_FUNC_PF || in == NULL || in_size < sizeof(del))
        return;
    memcpy(&del, in, sizeof(del));
    if (del.hdr.opcode == FW_CMD_RULE_DELETE &&
        del.hdr.in_size == sizeof(del))
        emu_steer_prefetch_delete(dev, del.rule_id, stage);
}

unsigned
emu_dev_exec(struct emu_dev *dev, uint16_t function,
             const void *in, uint32_t in_size, void *out)
{
    struct emu_cmd cmd;
    struct fw_out_hdr oh;
    unsigned flags = 0;
    uint8_t st;

    memset(&cmd, 0, sizeof(cmd));
    cmd.function = function;
    cmd.raw = in;
    cmd.out = out;
    cmd.out_len = sizeof(struct fw_out_hdr);
    memset(out, 0, sizeof(struct fw_out_hdr));
    if (in == NULL || in_size < sizeof(struct fw_cmd_hdr)) {
        st = emu_fail(&cmd, FW_STATUS_BAD_INPUT_LEN,
                      FW_SYND(FW_SYND_LENGTH, 0, sizeof(struct fw_cmd_hdr)));
    } else {
        memcpy(&cmd.hdr, in, sizeof(cmd.hdr));
        /* never read past what the caller handed us, whatever the header
         * claims */
        if (cmd.hdr.in_size > in_size)
            st = emu_fail(&cmd, FW_STATUS_BAD_INPUT_LEN,
                          FW_SYND(FW_SYND_LENGTH, 0, in_size));
        else
            st = emu_cmd_run(dev, &cmd, &flags);
    }
    if (flags & EMU_EXEC_NO_COMPLETION)
        return flags;
    dev->commands++;
    if (st != FW_STATUS_OK) {
        dev->commands_failed++;
        cmd.out_len = sizeof(struct fw_out_hdr);
    } else {
        cmd.syndrome = 0;
    }
    memset(&oh, 0, sizeof(oh));
    oh.status = st;
    oh.syndrome = cmd.syndrome;
    oh.out_size = cmd.out_len;
    oh.token = cmd.hdr.token;
    memcpy(out, &oh, sizeof(oh));
    return flags;
}

/* ------------------------------------------------------------------------
 * Lifecycle
 * ------------------------------------------------------------------------ */

static int
emu_config_check(const struct emu_config *c)
{
    const struct emu_profile *p = &c->profile;

    if (c->max_vfs > EMU_MAX_VFS || c->num_vfs > c->max_vfs ||
        c->esw_mode > FW_ESW_SWITCHDEV)
        return -EINVAL;
    if (p->max_actions < 1 || p->max_actions > FW_RULE_MAX_ACTIONS ||
        p->prio_per_table < 1 || p->max_tables < 1 ||
        p->max_rules_total < 1 || p->max_rules_total > (1u << 26) ||
        p->max_rules_per_table < 1 || p->max_counters > (1u << 24))
        return -EINVAL;
    if ((p->match_fields >> FW_FIELD_COUNT_) != 0 ||
        (p->actions >> FW_ACT_COUNT_) != 0 ||
        (p->actions & FW_ACTION_BIT(FW_ACT_NONE)) != 0)
        return -EINVAL;
    if (c->max_queue_depth != 0 &&
        (c->max_queue_depth & (c->max_queue_depth - 1)) != 0)
        return -EINVAL;
    return 0;
}

struct emu_dev *
emu_dev_create(const struct emu_config *cfg, const struct emu_dev_ops *ops,
               void *ctx)
{
    struct emu_dev *dev;
    int rc;

    if (cfg == NULL || ops == NULL) {
        errno = EINVAL;
        return NULL;
    }
    if ((rc = emu_config_check(cfg)) != 0) {
        errno = -rc;
        return NULL;
    }
    dev = calloc(1, sizeof(*dev));
    if (dev == NULL)
        return NULL;
    dev->cfg = *cfg;
    dev->ops = *ops;
    dev->ctx = ctx;
    emu_profile_fill_caps(&dev->cfg, &dev->caps);
    dev->start_ns = snic_now_ns();
    dev->health = FW_HEALTH_OK;

    dev->vports = calloc(dev->caps.num_vports, sizeof(*dev->vports));
    if (dev->vports == NULL)
        goto free_dev;
    for (uint32_t v = 0; v < dev->caps.num_vports; v++)
        emu_vport_reset_ctx(dev, (uint16_t)v);
    dev->sriov_generation = 2;  /* even: see emu_sriov_set() */
    for (uint16_t v = 0; v < dev->caps.num_vfs; v++)
        dev->vf_generation[v] = dev->sriov_generation;
    if ((rc = emu_counter_init(dev)) != 0)
        goto free_vports;
    if ((rc = emu_steer_init(dev)) != 0)
        goto fini_counters;
    if ((rc = emu_steer_flush(dev, dev->caps.esw_mode == FW_ESW_SWITCHDEV))
        != 0)
        goto fini_steer;
    return dev;

fini_steer:
    emu_steer_fini(dev);
fini_counters:
    emu_counter_fini(dev);
free_vports:
    free(dev->vports);
free_dev:
    free(dev);
    errno = ENOMEM;
    return NULL;
}

void
emu_dev_destroy(struct emu_dev *dev)
{
    if (dev == NULL)
        return;
    emu_steer_fini(dev);
    emu_counter_fini(dev);
    free(dev->vports);
    free(dev);
}

uint32_t
emu_dev_health(const struct emu_dev *dev)
{
    return dev->health;
}

uint32_t
emu_dev_reset_generation(const struct emu_dev *dev)
{
    return dev->reset_generation;
}

uint16_t
emu_dev_num_vfs(const struct emu_dev *dev)
{
    return dev->caps.num_vfs;
}

uint32_t
emu_dev_sriov_generation(const struct emu_dev *dev)
{
    return dev->sriov_generation;
}

const uint32_t *
emu_dev_vf_generations(const struct emu_dev *dev)
{
    return dev->vf_generation;
}

const struct fw_caps *
emu_dev_caps(const struct emu_dev *dev)
{
    return &dev->caps;
}

uint32_t
emu_dev_cmd_delay_us(const struct emu_dev *dev, uint16_t opcode)
{
    const struct emu_faults *f = &dev->faults;

    return f->delay_opcode == 0 || f->delay_opcode == opcode ? f->delay_us
                                                             : 0;
}
